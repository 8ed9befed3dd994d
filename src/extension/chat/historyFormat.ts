import type { Attachment, ChatEntry, ChatSummary, ReplyStats } from './entries';
import { isRecord } from '../common/isRecord';

/**
 * The chat history's files, owned here and not by the webview's messages: `<id>.json` per conversation
 * and `index.json`, each with a `format` number. This build writes HISTORY_FORMAT and reads every format
 * up to it. The file types below are spelled out apart from the domain's on purpose: a change to
 * ChatEntry that the files cannot hold stops the build at the conversions instead of changing the files.
 */
export const HISTORY_FORMAT = 1;

/**
 * The largest conversation file this build reads or writes. A bigger one is reported and left as it is, never read
 * into memory (a whole chat is parsed at once; at 512 MiB a string no longer fits V8 at all).
 */
export const MAX_CHAT_FILE_BYTES = 64 * 1024 * 1024;

/** One conversation as the store takes it and gives it back; its file adds the format number. */
export interface SavedChat {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  entries: ChatEntry[];
}

export type ChatFileContents =
  | { kind: 'chat'; chat: SavedChat }
  /** Written by a newer Headroom: this build must leave it as it is. */
  | { kind: 'newer'; format: number }
  | { kind: 'unreadable' };

/** Chat ids are file names (`<id>.json`): short, no path characters. */
export const isChatId = (v: unknown): v is string => typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v);

export function encodeChatFile(chat: SavedChat): string {
  const file: ChatFileV1 = {
    format: 1,
    id: chat.id,
    title: chat.title,
    createdAt: chat.createdAt,
    updatedAt: chat.updatedAt,
    entries: chat.entries.map(entryToV1),
  };
  return JSON.stringify(file);
}

export function decodeChatFile(text: string): ChatFileContents {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'unreadable' };
  }
  if (!isRecord(parsed)) return { kind: 'unreadable' };
  const format = parsed.format;
  if (isCount(format) && format > HISTORY_FORMAT) return { kind: 'newer', format };
  if (!isChatFileV1(parsed)) return { kind: 'unreadable' };
  const { id, title, createdAt, updatedAt, entries } = parsed;
  return { kind: 'chat', chat: { id, title, createdAt, updatedAt, entries: entries.map(entryFromV1) } };
}

/** The index is only a cache of the summaries: anything but this build's format is rebuilt from the files. */
export function encodeIndex(chats: readonly ChatSummary[]): string {
  const file: IndexFileV1 = { format: 1, chats: chats.map(({ id, title, updatedAt, messages }) => ({ id, title, updatedAt, messages })) };
  return JSON.stringify(file);
}

export function decodeIndex(text: string): ChatSummary[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && parsed.format === 1 && Array.isArray(parsed.chats) && parsed.chats.every(isSummaryV1) ? parsed.chats : undefined;
  } catch {
    return undefined;
  }
}

// Format 1: what ChatStore has written since the history was first stored.

const STATUSES_V1 = ['complete', 'streaming', 'stopped', 'error', 'interrupted'] as const;
const KINDS_V1 = ['selection', 'file', 'diagnostics'] as const;

interface StatsV1 {
  tokens: number;
  tokensPerSecond: number;
  timeToFirstTokenMs: number;
}

interface PositionV1 {
  line: number;
  character: number;
}

/** Optional, added within format 1: older builds read these files and ignore it. */
interface OriginV1 {
  uri: string;
  start: PositionV1;
  end: PositionV1;
}

interface AttachmentV1 {
  kind: (typeof KINDS_V1)[number];
  label: string;
  text: string;
  tokens: number | null;
  origin?: OriginV1;
}

interface EntryV1 {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  status: (typeof STATUSES_V1)[number];
  stats?: StatsV1;
  error?: string;
  attachments?: AttachmentV1[];
}

interface ChatFileV1 {
  format: 1;
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  entries: EntryV1[];
}

interface SummaryV1 {
  id: string;
  title: string;
  updatedAt: number;
  messages: number;
}

interface IndexFileV1 {
  format: 1;
  chats: SummaryV1[];
}

function entryToV1(e: ChatEntry): EntryV1 {
  const entry: EntryV1 = { id: e.id, role: e.role, text: e.text, status: e.status };
  if (e.stats) entry.stats = statsCopy(e.stats);
  if (e.error !== undefined) entry.error = e.error;
  if (e.attachments) entry.attachments = e.attachments.map(attachmentCopy);
  return entry;
}

function entryFromV1(e: EntryV1): ChatEntry {
  const entry: ChatEntry = { id: e.id, role: e.role, text: e.text, status: e.status };
  if (e.stats) entry.stats = statsCopy(e.stats);
  if (e.error !== undefined) entry.error = e.error;
  if (e.attachments) entry.attachments = e.attachments.map(attachmentCopy);
  return entry;
}

// Both directions: these shapes are the same in format 1 and in the domain.
const statsCopy = (s: StatsV1 | ReplyStats): StatsV1 & ReplyStats => ({
  tokens: s.tokens,
  tokensPerSecond: s.tokensPerSecond,
  timeToFirstTokenMs: s.timeToFirstTokenMs,
});
const positionCopy = (p: PositionV1): PositionV1 => ({ line: p.line, character: p.character });
const attachmentCopy = (a: AttachmentV1 | Attachment): AttachmentV1 & Attachment => {
  const copy: AttachmentV1 & Attachment = { kind: a.kind, label: a.label, text: a.text, tokens: a.tokens };
  if (a.origin) copy.origin = { uri: a.origin.uri, start: positionCopy(a.origin.start), end: positionCopy(a.origin.end) };
  return copy;
};

type Fields = Record<string, unknown>;
const isText = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const oneOf =
  <T extends string>(values: readonly T[]) =>
  (v: unknown): v is T =>
    values.includes(v as T);

function isChatFileV1(v: Fields): v is Fields & ChatFileV1 {
  return (
    v.format === 1 &&
    isChatId(v.id) &&
    isText(v.title) &&
    isNumber(v.createdAt) &&
    isNumber(v.updatedAt) &&
    Array.isArray(v.entries) &&
    v.entries.every(isEntryV1)
  );
}

function isEntryV1(v: unknown): v is EntryV1 {
  return (
    isRecord(v) &&
    isText(v.id) &&
    (v.role === 'user' || v.role === 'assistant') &&
    isText(v.text) &&
    oneOf(STATUSES_V1)(v.status) &&
    (v.stats === undefined || isStatsV1(v.stats)) &&
    (v.error === undefined || isText(v.error)) &&
    (v.attachments === undefined || (Array.isArray(v.attachments) && v.attachments.every(isAttachmentV1)))
  );
}

function isStatsV1(v: unknown): v is StatsV1 {
  return isRecord(v) && isNumber(v.tokens) && isNumber(v.tokensPerSecond) && isNumber(v.timeToFirstTokenMs);
}

function isAttachmentV1(v: unknown): v is AttachmentV1 {
  return (
    isRecord(v) &&
    oneOf(KINDS_V1)(v.kind) &&
    isText(v.label) &&
    isText(v.text) &&
    (v.tokens === null || isCount(v.tokens)) &&
    (v.origin === undefined || isOriginV1(v.origin))
  );
}

const isPositionV1 = (v: unknown): v is PositionV1 => isRecord(v) && isCount(v.line) && isCount(v.character);

function isOriginV1(v: unknown): v is OriginV1 {
  return isRecord(v) && isText(v.uri) && isPositionV1(v.start) && isPositionV1(v.end);
}

function isSummaryV1(v: unknown): v is SummaryV1 {
  return isRecord(v) && isChatId(v.id) && isText(v.title) && isNumber(v.updatedAt) && isCount(v.messages);
}
