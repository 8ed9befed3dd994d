import type { ChatMessage } from '../chat/types';
import type { TokenCounter } from '../chat/tokenCounter';

/** How the model's context is shared between the prompt and the answer. */
export interface Budget {
  /** The server's context per request (llama-server's n_ctx per slot). */
  contextSize: number;
  /** Tokens kept free for the explanation. */
  answerTokens: number;
  /** Tokens kept free for each part's summary when a selection is explained by parts. */
  summaryTokens: number;
}

/** A quarter of the context for the answer (64..1024 tokens), half that for part summaries. */
export function defaultBudget(contextSize: number): Budget {
  const answerTokens = Math.max(64, Math.min(1024, Math.floor(contextSize / 4)));
  return { contextSize, answerTokens, summaryTokens: Math.max(48, Math.floor(answerTokens / 2)) };
}

export interface Fitted {
  messages: ChatMessage[];
  tokens: number;
  /** The size that was chosen (0..max). */
  size: number;
}

/**
 * The largest `size` in 0..max whose messages fit `limit` tokens, counted by the real tokenizer; the
 * size is assumed monotone (more context, more tokens). Tries `max` first, then bisects, so a prompt
 * that fits costs one count and one that doesn't about log2(max). Undefined when even size 0 is too big.
 */
export async function fitLargest(
  build: (size: number) => ChatMessage[],
  max: number,
  limit: number,
  counter: TokenCounter,
  signal?: AbortSignal,
): Promise<Fitted | undefined> {
  const measure = async (size: number): Promise<Fitted> => {
    const messages = build(size);
    return { messages, tokens: await counter.countMessages(messages, signal), size };
  };
  const full = await measure(max);
  if (full.tokens <= limit) return full;
  let best: Fitted | undefined;
  let lo = 0;
  let hi = max - 1;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const attempt = await measure(mid);
    if (attempt.tokens <= limit) {
      best = attempt;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}
