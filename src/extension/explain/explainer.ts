import { HeadroomError } from '../common/errors';
import type { ChatBackend, ChatMessage } from '../chat/types';
import { fitLargest, type Budget } from './budget';
import { explainMessages, mergeMessages, partMessages, reduceMessages, type Part, type Summary } from './prompt';
import { halve, splitByLines } from './split';
import type { ExplainSubject } from './subject';
import type { TokenCounter } from '../chat/tokenCounter';

/** Where an explanation goes as it is made: the inline thread, or a test's recorder. */
export interface ExplainSink {
  /** Transient progress ("Reading part 2 of 5..."); replaced by the answer's text. */
  status(message: string): void;
  /** A lasting remark shown with the answer (e.g. that it was made from summaries of parts). */
  note(message: string): void;
  /** A piece of the answer, streamed. */
  text(delta: string): void;
}

export interface ExplainDeps {
  backend: ChatBackend;
  counter: TokenCounter;
  budget: Budget;
  temperature?: number;
}

export interface Explanation {
  /** The request whose reply is the answer: what "Continue in Chat" carries on from. */
  messages: ChatMessage[];
  answer: string;
  /** Parts read first; 0 when the selection fit at once. */
  parts: number;
  note?: string;
  finishReason: string | null;
}

/** Tokens kept free for the difference between a part's trial numbering and its final one. */
const SLACK = 8;
const MAX_MERGE_ROUNDS = 6;

async function generate(
  deps: Pick<ExplainDeps, 'backend' | 'temperature'>,
  messages: ChatMessage[],
  maxTokens: number,
  signal: AbortSignal | undefined,
  onText?: (text: string) => void,
): Promise<{ text: string; finishReason: string | null }> {
  let text = '';
  let finishReason: string | null = null;
  for await (const delta of deps.backend.stream({ messages, maxTokens, temperature: deps.temperature }, signal)) {
    // Pieces already read from the socket still arrive after an abort: drop them.
    signal?.throwIfAborted();
    if (delta.kind === 'text') {
      text += delta.text;
      onText?.(delta.text);
    } else finishReason = delta.finishReason;
  }
  return { text, finishReason };
}

/**
 * Streams the model's answer to a follow-up question (followUp.ts builds the messages) into `onText`; the
 * thread's conversation is the caller's, so nothing is fitted here: a context overflow is the server's error.
 */
export async function answerFollowUp(
  messages: ChatMessage[],
  deps: Pick<ExplainDeps, 'backend' | 'temperature'> & { maxTokens: number },
  onText: (text: string) => void,
  signal?: AbortSignal,
): Promise<{ text: string; finishReason: string | null }> {
  return generate(deps, messages, deps.maxTokens, signal, onText);
}

/** Surrounding code: twice as many lines before the selection as after it. */
function withContext(subject: ExplainSubject, build: (window: { before: number; after: number }) => ChatMessage[]) {
  const max = Math.max(subject.before.length, subject.after.length * 2);
  return { max, build: (k: number) => build({ before: k, after: Math.ceil(k / 2) }) };
}

/**
 * Explains the subject within the model's context: the prompt with as much surrounding code as fits
 * (counted with the server's tokenizer) and room left for the answer; a selection that cannot fit is
 * read in parts whose summaries are then explained together (map-reduce), and the answer says so.
 */
export async function explain(subject: ExplainSubject, deps: ExplainDeps, sink: ExplainSink, signal?: AbortSignal): Promise<Explanation> {
  const { budget, counter } = deps;
  const promptLimit = budget.contextSize - budget.answerTokens;
  sink.status('Reading the code...');
  const direct = withContext(subject, (w) => explainMessages(subject, w));
  const fitted = await fitLargest(direct.build, direct.max, promptLimit, counter, signal);
  if (fitted) {
    sink.status('Thinking...');
    const { text, finishReason } = await generate(deps, fitted.messages, budget.answerTokens, signal, (t) => sink.text(t));
    return { messages: fitted.messages, answer: text, parts: 0, finishReason };
  }

  const parts = await splitToFit(subject, deps, signal);
  const lineCount = subject.code.split('\n').length;
  const note =
    `The selection (${lineCount} lines) is larger than the model's ${budget.contextSize}-token context, ` +
    `so it was read in ${parts.length} parts and is explained from their summaries.`;
  sink.note(note);
  let summaries: Summary[] = [];
  for (const [i, part] of parts.entries()) {
    sink.status(`Reading part ${i + 1} of ${parts.length} (lines ${part.startLine}-${part.endLine})...`);
    const { text } = await generate(deps, partMessages(subject, part, i, parts.length), budget.summaryTokens, signal);
    summaries.push({ startLine: part.startLine, endLine: part.endLine, text });
  }
  for (let round = 0; ; round++) {
    const reduce = withContext(subject, (w) => reduceMessages(subject, summaries, w));
    const final = await fitLargest(reduce.build, reduce.max, promptLimit, counter, signal);
    if (final) {
      sink.status('Thinking...');
      const { text, finishReason } = await generate(deps, final.messages, budget.answerTokens, signal, (t) => sink.text(t));
      return { messages: final.messages, answer: text, parts: parts.length, note, finishReason };
    }
    if (summaries.length < 2 || round >= MAX_MERGE_ROUNDS) {
      throw new HeadroomError(`The model's context (${budget.contextSize} tokens) is too small to explain this selection.`, 'Select less code, or raise headroom.contextSize.');
    }
    sink.status(`Merging ${summaries.length} summaries...`);
    summaries = await mergeRound(subject, summaries, deps, signal);
  }
}

/** Parts whose map prompt each fits the context with room for its summary. */
async function splitToFit(subject: ExplainSubject, deps: ExplainDeps, signal?: AbortSignal): Promise<Part[]> {
  const { budget, counter } = deps;
  const limit = budget.contextSize - budget.summaryTokens - SLACK;
  const empty: Part = { code: '', startLine: subject.startLine, endLine: subject.startLine };
  const overhead = await counter.countMessages(partMessages(subject, empty, 0, 1), signal);
  const room = limit - overhead;
  if (room < 16) {
    throw new HeadroomError(`The model's context (${budget.contextSize} tokens) is too small to explain code in parts.`, 'Raise headroom.contextSize.');
  }
  const codeTokens = Math.max(1, await counter.countText(subject.code, signal));
  const charsPerToken = subject.code.length / codeTokens;
  const queue = splitByLines(subject.code, subject.startLine, Math.floor(room * charsPerToken * 0.9));
  const parts: Part[] = [];
  const total = (): number => parts.length + queue.length;
  while (queue.length) {
    const part = queue.shift() as Part;
    const tokens = await counter.countMessages(partMessages(subject, part, parts.length, total()), signal);
    if (tokens <= limit || part.code.length < 2) parts.push(part);
    else queue.unshift(...halve(part));
  }
  return parts;
}

/** Merges consecutive summaries in groups whose merge prompt fits; every group has at least two. */
async function mergeRound(subject: ExplainSubject, summaries: Summary[], deps: ExplainDeps, signal?: AbortSignal): Promise<Summary[]> {
  const { budget, counter } = deps;
  const limit = budget.contextSize - budget.summaryTokens;
  const merged: Summary[] = [];
  let i = 0;
  while (i < summaries.length) {
    const first = summaries[i]!; // i < summaries.length
    let group = summaries.slice(i, i + 2);
    while (i + group.length < summaries.length) {
      const bigger = summaries.slice(i, i + group.length + 1);
      if ((await counter.countMessages(mergeMessages(subject, bigger), signal)) > limit) break;
      group = bigger;
    }
    if (group.length === 1) {
      merged.push(first);
    } else {
      const last = group[group.length - 1]!; // group.length >= 2
      const { text } = await generate(deps, mergeMessages(subject, group), budget.summaryTokens, signal);
      merged.push({ startLine: first.startLine, endLine: last.endLine, text });
    }
    i += group.length;
  }
  return merged;
}
