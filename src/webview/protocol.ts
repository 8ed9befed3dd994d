/**
 * Every message between the extension host and the chat webview, as discriminated unions with
 * runtime guards. Both sides import this file; anything that fails a guard is dropped and logged.
 */

export type EntryStatus = 'complete' | 'streaming' | 'stopped' | 'error';

export interface ReplyStats {
  tokens: number;
  tokensPerSecond: number;
  timeToFirstTokenMs: number;
}

export interface ChatEntry {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  status: EntryStatus;
  stats?: ReplyStats;
  error?: string;
}

/** The server state reduced to what the view draws. */
export interface ServerView {
  kind: 'stopped' | 'locating' | 'building' | 'starting' | 'loading' | 'ready' | 'crashed' | 'failed';
  /** One line for the header, e.g. "ready · tiny-llama.gguf · ctx 2048". */
  label: string;
  detail?: string;
}

export type HostToWebview =
  | { type: 'snapshot'; entries: ChatEntry[]; server: ServerView; busy: boolean }
  | { type: 'server'; server: ServerView }
  | { type: 'entryAdded'; entry: ChatEntry }
  | { type: 'entryDelta'; id: string; text: string }
  | { type: 'entryDone'; id: string; status: EntryStatus; stats?: ReplyStats; error?: string }
  | { type: 'busy'; busy: boolean };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'startServer' }
  | { type: 'newChat' };

type Guard<T> = (value: unknown) => value is T;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optional = <T>(guard: Guard<T>) => (v: unknown): v is T | undefined => v === undefined || guard(v);

const ENTRY_STATUSES: readonly EntryStatus[] = ['complete', 'streaming', 'stopped', 'error'];
const SERVER_KINDS: readonly ServerView['kind'][] = [
  'stopped', 'locating', 'building', 'starting', 'loading', 'ready', 'crashed', 'failed',
];

const isEntryStatus = (v: unknown): v is EntryStatus => ENTRY_STATUSES.includes(v as EntryStatus);

export function isReplyStats(v: unknown): v is ReplyStats {
  return isRecord(v) && isFiniteNumber(v.tokens) && isFiniteNumber(v.tokensPerSecond) && isFiniteNumber(v.timeToFirstTokenMs);
}

export function isChatEntry(v: unknown): v is ChatEntry {
  return (
    isRecord(v) &&
    isString(v.id) &&
    (v.role === 'user' || v.role === 'assistant') &&
    isString(v.text) &&
    isEntryStatus(v.status) &&
    optional(isReplyStats)(v.stats) &&
    optional(isString)(v.error)
  );
}

export function isServerView(v: unknown): v is ServerView {
  return isRecord(v) && SERVER_KINDS.includes(v.kind as ServerView['kind']) && isString(v.label) && optional(isString)(v.detail);
}

export function isHostToWebview(v: unknown): v is HostToWebview {
  if (!isRecord(v) || !isString(v.type)) return false;
  switch (v.type) {
    case 'snapshot':
      return Array.isArray(v.entries) && v.entries.every(isChatEntry) && isServerView(v.server) && isBoolean(v.busy);
    case 'server':
      return isServerView(v.server);
    case 'entryAdded':
      return isChatEntry(v.entry);
    case 'entryDelta':
      return isString(v.id) && isString(v.text);
    case 'entryDone':
      return isString(v.id) && isEntryStatus(v.status) && optional(isReplyStats)(v.stats) && optional(isString)(v.error);
    case 'busy':
      return isBoolean(v.busy);
    default:
      return false;
  }
}

/** The longest message a user can send; anything longer is refused by the guard, not truncated. */
export const MAX_USER_TEXT = 1_000_000;

export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isRecord(v) || !isString(v.type)) return false;
  switch (v.type) {
    case 'ready':
    case 'stop':
    case 'startServer':
    case 'newChat':
      return Object.keys(v).length === 1;
    case 'send':
      return isString(v.text) && v.text.length <= MAX_USER_TEXT && Object.keys(v).length === 2;
    default:
      return false;
  }
}
