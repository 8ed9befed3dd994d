import type { ChatMessage } from './types';
import type { TokenCounter } from './tokenCounter';

export interface FitResult {
  messages: ChatMessage[];
  /** Prompt tokens of `messages`. */
  used: number;
  /** Oldest user turns (with their replies) left out. */
  omittedTurns: number;
}

/** Tokens kept free for the reply: a quarter of the context, at most 1024. */
export function replyReserve(contextSize: number): number {
  return Math.min(1024, Math.floor(contextSize / 4));
}

/**
 * Leaves out the oldest turns until the prompt fits `contextSize - reserve`. A leading system message and
 * the newest user turn are always kept (if even they don't fit, the server says so when asked).
 */
export async function fitToContext(
  messages: ChatMessage[],
  contextSize: number,
  counter: TokenCounter,
  signal?: AbortSignal,
): Promise<FitResult> {
  const budget = contextSize - replyReserve(contextSize);
  const system = messages[0]?.role === 'system' ? [messages[0]] : [];
  const turns = splitTurns(messages.slice(system.length));
  let omitted = 0;
  for (;;) {
    const kept = [...system, ...turns.slice(omitted).flat()];
    const used = await counter.countMessages(kept, signal);
    if (used <= budget || omitted >= turns.length - 1) return { messages: kept, used, omittedTurns: omitted };
    omitted++;
  }
}

/** Groups messages into turns, each starting at a user message. */
export function splitTurns(messages: ChatMessage[]): ChatMessage[][] {
  const turns: ChatMessage[][] = [];
  for (const m of messages) {
    const current = turns[turns.length - 1];
    if (m.role === 'user' || current === undefined) turns.push([m]);
    else current.push(m);
  }
  return turns;
}
