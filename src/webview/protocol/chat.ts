/**
 * Every message between the extension host and the chat webview, as discriminated unions with
 * runtime guards. Both sides import this file; anything that fails a guard is dropped and logged.
 * The transcript's types are the chat domain's (extension/chat/entries.ts); the guards here are the
 * webview's own, apart from the history file's (extension/chat/historyFormat.ts).
 */

import type { Attachment, AttachmentKind, ChatEntry, ChatSummary, EntryStatus, ReplyStats } from '../../extension/chat/entries';
import { isRecord, isString, isBoolean, isFiniteNumber, optional } from './guards';

export type { Attachment, AttachmentKind, ChatEntry, ChatSummary, EntryStatus, ReplyStats };

/** The context meter and the chips waiting to go with the next message. */
export interface ContextView {
  pending: Array<Omit<Attachment, 'text'> & { id: string }>;
  /** Prompt tokens the next request would use, as the server counts them; null when unknown. */
  used: number | null;
  /** The server's context size; null when no server is running. */
  limit: number | null;
  /** How many of the oldest turns the next request leaves out so that it fits. */
  omittedTurns: number;
  /** The counts are an estimate (the server has no /tokenize): the meter says so. */
  estimated?: true;
}

/**
 * The code-block toolbar, one row per action: the view draws a codicon button named by `label` for each, in
 * this order, and the guard accepts exactly these keys. Adding an action is one line here (plus its case in
 * the host's vscode/chat/chatActions.ts, which the compiler asks for).
 */
export const CODE_ACTIONS = {
  copy: { icon: 'copy', label: 'Copy the code' },
  insert: { icon: 'insert', label: 'Insert at the cursor in the editor' },
  replace: { icon: 'replace', label: 'Replace the selection in the editor' },
  newFile: { icon: 'new-file', label: 'Open in a new untitled file' },
  apply: { icon: 'diff', label: 'Review the change in a diff, then accept or reject it' },
} as const satisfies Record<string, { icon: string; label: string }>;

export type CodeAction = keyof typeof CODE_ACTIONS;

/** How a model would run here (models/verdict.ts's kinds), for the switcher's labels. */
export type ModelFit = 'gpu' | 'partial' | 'cpu' | 'no-fit';

/** A model found on this machine, as the header's switcher lists it. */
export interface ModelChoice {
  path: string;
  /** The file's name (or a split model's first part's). */
  label: string;
  fit: ModelFit;
  /** "fully on GPU", "on CPU (RAM)", "does not fit: needs 41 GB, 30 GB free". */
  verdict: string;
}

/** The switcher and the empty state: what was found, and which model the settings name. */
export interface ModelsView {
  models: ModelChoice[];
  /** headroom.modelPath, or null when none is set. */
  configured: string | null;
  /** True while the host is still looking for models. */
  scanning: boolean;
}

/**
 * The only commands the view may ask the host to run (the empty state's buttons). The host runs an id from
 * this list and nothing else; the guard refuses any other string.
 */
export const VIEW_COMMANDS = ['headroom.selectModel', 'headroom.downloadModel', 'headroom.start', 'headroom.showPlan'] as const;
export type ViewCommand = (typeof VIEW_COMMANDS)[number];

/** The server state reduced to what the view draws. */
export interface ServerView {
  kind: 'stopped' | 'locating' | 'planning' | 'building' | 'starting' | 'loading' | 'ready' | 'crashed' | 'failed';
  /** One line for the header, e.g. "ready · tiny-llama.gguf · ctx 2048". */
  label: string;
  detail?: string;
}

export type HostToWebview =
  | {
      type: 'snapshot';
      entries: ChatEntry[];
      server: ServerView;
      busy: boolean;
      chatId: string;
      chats: ChatSummary[];
      context: ContextView;
    }
  | { type: 'chats'; chatId: string; chats: ChatSummary[] }
  | { type: 'context'; context: ContextView }
  | { type: 'focusInput' }
  | { type: 'server'; server: ServerView }
  | { type: 'entryAdded'; entry: ChatEntry }
  | { type: 'entryDelta'; id: string; text: string }
  | { type: 'entryDone'; id: string; status: EntryStatus; stats?: ReplyStats; error?: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'models'; models: ModelsView }
  /** A short status line under the header ('' clears it), e.g. while a model switch restarts the server. */
  | { type: 'notice'; text: string }
  /** The view-title History action. */
  | { type: 'showHistory' };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'startServer' }
  | { type: 'newChat' }
  | { type: 'regenerate' }
  | { type: 'editResend'; id: string; text: string }
  | { type: 'openChat'; id: string }
  | { type: 'deleteChat'; id: string }
  | { type: 'codeAction'; action: CodeAction; code: string; language: string }
  | { type: 'openLink'; href: string }
  | { type: 'attach'; kind: AttachmentKind }
  | { type: 'detach'; id: string }
  /** Copies a whole reply; the host takes its text from the transcript it owns. */
  | { type: 'copyReply'; id: string }
  /** Saves headroom.modelPath and restarts the server; the host accepts only a path it listed. */
  | { type: 'switchModel'; path: string }
  | { type: 'runCommand'; command: ViewCommand };

const ENTRY_STATUSES: readonly EntryStatus[] = ['complete', 'streaming', 'stopped', 'error', 'interrupted'];
const ATTACHMENT_KINDS: readonly AttachmentKind[] = ['selection', 'file', 'diagnostics'];
const isCodeAction = (v: unknown): v is CodeAction => isString(v) && Object.hasOwn(CODE_ACTIONS, v);
const MODEL_FITS: readonly ModelFit[] = ['gpu', 'partial', 'cpu', 'no-fit'];
/** Longer than any real path (PATH_MAX is 4096 on Linux), short enough to bound what a message carries. */
export const MAX_PATH_LENGTH = 4096;
const isPath = (v: unknown): v is string => isString(v) && v.length > 0 && v.length <= MAX_PATH_LENGTH;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isCountOrNull = (v: unknown): v is number | null => v === null || isCount(v);
const isAttachmentKind = (v: unknown): v is AttachmentKind => ATTACHMENT_KINDS.includes(v as AttachmentKind);
/** Ids are host-made UUIDs (or file-name-safe ids from the store): short, no path characters. */
const isId = (v: unknown): v is string => isString(v) && /^[A-Za-z0-9_-]{1,64}$/.test(v);
const SERVER_KINDS: readonly ServerView['kind'][] = [
  'stopped', 'locating', 'planning', 'building', 'starting', 'loading', 'ready', 'crashed', 'failed',
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
    optional(isString)(v.error) &&
    (v.attachments === undefined || (Array.isArray(v.attachments) && v.attachments.every(isAttachment)))
  );
}

export function isAttachment(v: unknown): v is Attachment {
  return isRecord(v) && isAttachmentKind(v.kind) && isString(v.label) && isString(v.text) && isCountOrNull(v.tokens);
}

export function isChatSummary(v: unknown): v is ChatSummary {
  return isRecord(v) && isId(v.id) && isString(v.title) && isFiniteNumber(v.updatedAt) && isCount(v.messages);
}

function isPendingChip(v: unknown): boolean {
  return isRecord(v) && isId(v.id) && isAttachmentKind(v.kind) && isString(v.label) && isCountOrNull(v.tokens);
}

export function isContextView(v: unknown): v is ContextView {
  return (
    isRecord(v) &&
    Array.isArray(v.pending) &&
    v.pending.every(isPendingChip) &&
    isCountOrNull(v.used) &&
    isCountOrNull(v.limit) &&
    isCount(v.omittedTurns) &&
    (v.estimated === undefined || v.estimated === true)
  );
}

export function isServerView(v: unknown): v is ServerView {
  return isRecord(v) && SERVER_KINDS.includes(v.kind as ServerView['kind']) && isString(v.label) && optional(isString)(v.detail);
}

export function isModelChoice(v: unknown): v is ModelChoice {
  return isRecord(v) && isPath(v.path) && isString(v.label) && MODEL_FITS.includes(v.fit as ModelFit) && isString(v.verdict);
}

export function isModelsView(v: unknown): v is ModelsView {
  return isRecord(v) && Array.isArray(v.models) && v.models.every(isModelChoice) && (v.configured === null || isPath(v.configured)) && isBoolean(v.scanning);
}

export function isHostToWebview(v: unknown): v is HostToWebview {
  if (!isRecord(v) || !isString(v.type)) return false;
  switch (v.type) {
    case 'snapshot':
      return (
        Array.isArray(v.entries) &&
        v.entries.every(isChatEntry) &&
        isServerView(v.server) &&
        isBoolean(v.busy) &&
        isId(v.chatId) &&
        Array.isArray(v.chats) &&
        v.chats.every(isChatSummary) &&
        isContextView(v.context)
      );
    case 'chats':
      return isId(v.chatId) && Array.isArray(v.chats) && v.chats.every(isChatSummary);
    case 'context':
      return isContextView(v.context);
    case 'focusInput':
      return true;
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
    case 'models':
      return isModelsView(v.models);
    case 'notice':
      return isString(v.text);
    case 'showHistory':
      return true;
    default:
      return false;
  }
}

/** The longest message a user can send; anything longer is refused by the guard, not truncated. */
export const MAX_USER_TEXT = 1_000_000;

/** The longest code block a code action carries, and the longest link the view may ask to open. */
export const MAX_CODE_TEXT = 5_000_000;
export const MAX_LINK_LENGTH = 8192;

const hasKeys = (v: Record<string, unknown>, ...keys: string[]): boolean =>
  Object.keys(v).length === keys.length + 1 && keys.every((k) => k in v);

/** Strict: exact key sets, bounded strings; anything else is dropped (and logged) by the host. */
export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isRecord(v) || !isString(v.type)) return false;
  switch (v.type) {
    case 'ready':
    case 'stop':
    case 'startServer':
    case 'newChat':
    case 'regenerate':
      return hasKeys(v);
    case 'send':
      return hasKeys(v, 'text') && isString(v.text) && v.text.length <= MAX_USER_TEXT;
    case 'editResend':
      return hasKeys(v, 'id', 'text') && isId(v.id) && isString(v.text) && v.text.length <= MAX_USER_TEXT;
    case 'openChat':
    case 'deleteChat':
    case 'detach':
    case 'copyReply':
      return hasKeys(v, 'id') && isId(v.id);
    case 'switchModel':
      return hasKeys(v, 'path') && isPath(v.path);
    case 'runCommand':
      return hasKeys(v, 'command') && VIEW_COMMANDS.includes(v.command as ViewCommand);
    case 'codeAction':
      return (
        hasKeys(v, 'action', 'code', 'language') &&
        isCodeAction(v.action) &&
        isString(v.code) &&
        v.code.length <= MAX_CODE_TEXT &&
        isString(v.language) &&
        /^[a-z0-9_+#.-]{0,32}$/.test(v.language)
      );
    case 'openLink':
      return hasKeys(v, 'href') && isString(v.href) && v.href.length <= MAX_LINK_LENGTH;
    case 'attach':
      return hasKeys(v, 'kind') && isAttachmentKind(v.kind);
    default:
      return false;
  }
}
