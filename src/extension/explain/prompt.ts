import type { ChatMessage } from '../chat/types';
import { fenceTag, languageName } from './languages';
import { endLine, type ExplainSubject } from './subject';

export const SYSTEM_PROMPT =
  'You are a senior engineer explaining code to a colleague inside their editor. Be concise and concrete: ' +
  'say what the code does and how, then anything surprising (bugs, edge cases, performance). Use Markdown, ' +
  'put identifiers in backticks, and do not repeat the code back.';

/** How much of the surrounding code goes into a prompt: the nearest `before` and `after` lines. */
export interface ContextWindow {
  before: number;
  after: number;
}

/** A fenced block whose fence is longer than any run of backticks in the code. */
export function fence(code: string, languageId: string): string {
  const longest = Math.max(0, ...(code.match(/`+/g) ?? []).map((r) => r.length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${fenceTag(languageId)}\n${code}\n${ticks}`;
}

function lines(a: number, b: number): string {
  return a === b ? `line ${a}` : `lines ${a}-${b}`;
}

function surrounding(subject: ExplainSubject, window: ContextWindow): { before: string; after: string } {
  const before = window.before > 0 ? subject.before.slice(-window.before) : [];
  const after = window.after > 0 ? subject.after.slice(0, window.after) : [];
  return {
    before: before.length ? `Code before it:\n${fence(before.join('\n'), subject.languageId)}\n\n` : '',
    after: after.length ? `\n\nCode after it:\n${fence(after.join('\n'), subject.languageId)}` : '',
  };
}

function heading(subject: ExplainSubject): string {
  const where = `\`${subject.fileName}\` (${languageName(subject.languageId)}, ${lines(subject.startLine, endLine(subject))})`;
  const p = subject.problem;
  if (!p) return `Explain the selected code from ${where}.`;
  const by = p.source ? ` reported by ${p.source}${p.code ? ` (${p.code})` : ''}` : '';
  const quoted = p.message.split('\n').map((l) => `> ${l}`).join('\n');
  return `Explain this ${p.severity}${by} in ${where}: what it means, why this code causes it, and how to fix it.\n\n${quoted}`;
}

/** The messages for one explanation, with `window` lines of the surrounding code. */
export function explainMessages(subject: ExplainSubject, window: ContextWindow): ChatMessage[] {
  const { before, after } = surrounding(subject, window);
  const label = subject.problem ? 'The code it points at' : 'Selected code';
  const user = `${heading(subject)}\n\n${before}${label}:\n${fence(subject.code, subject.languageId)}${after}`;
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

/** One part of a selection too large for the context: the map step. */
export interface Part {
  code: string;
  startLine: number;
  endLine: number;
}

export function partMessages(subject: ExplainSubject, part: Part, index: number, count: number): ChatMessage[] {
  const user =
    `This is part ${index + 1} of ${count} (${lines(part.startLine, part.endLine)}) of a selection in \`${subject.fileName}\` ` +
    `(${languageName(subject.languageId)}) that is too long to read at once. Summarize what this part does in a few ` +
    `sentences, naming the functions, types and variables it defines or uses, so that the whole selection can be explained from the summaries.\n\n` +
    fence(part.code, subject.languageId);
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

/** Summaries of consecutive parts, merged again when all of them do not fit one prompt. */
export function mergeMessages(subject: ExplainSubject, summaries: readonly Summary[]): ChatMessage[] {
  const user =
    `These are summaries of consecutive parts of a selection in \`${subject.fileName}\`. Merge them into one shorter summary ` +
    `that keeps the names of the functions, types and variables.\n\n${summaryList(summaries)}`;
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}

export interface Summary {
  startLine: number;
  endLine: number;
  text: string;
}

function summaryList(summaries: readonly Summary[]): string {
  return summaries.map((s) => `### ${lines(s.startLine, s.endLine)}\n${s.text.trim()}`).join('\n\n');
}

/** The reduce step: explain the whole selection from its parts' summaries. */
export function reduceMessages(subject: ExplainSubject, summaries: readonly Summary[], window: ContextWindow): ChatMessage[] {
  const { before, after } = surrounding(subject, window);
  const count = subject.code.split('\n').length;
  const user =
    `${heading(subject)}\n\nThe selection is ${count} lines long, too long to show at once, so here are summaries of its parts in order.\n\n` +
    `${before}Selected code, summarized by parts:\n\n${summaryList(summaries)}${after}`;
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ];
}
