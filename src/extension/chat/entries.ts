/**
 * The transcript's own types: what a conversation holds, what the history stores (through
 * historyFormat.ts) and what the chat view shows (the webview protocol imports them from here).
 */

/**
 * 'interrupted': cut off from outside while streaming, its text so far kept: the window closed or the extension
 * host died (no error), or llama-server stalled or went silent (its `error` says so).
 */
export type EntryStatus = 'complete' | 'streaming' | 'stopped' | 'error' | 'interrupted';

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
  /** Editor context sent with a user message: shown as chips, included in what the model reads. */
  attachments?: Attachment[];
}

export type AttachmentKind = 'selection' | 'file' | 'diagnostics';

export interface Attachment {
  kind: AttachmentKind;
  /** e.g. "main.ts:10-24", "main.ts", "Problems in main.ts (3)". */
  label: string;
  text: string;
  /** Counted with the server's /tokenize; null when no server was running to count them. */
  tokens: number | null;
  /** Where the text was taken from (a selection's or a file's range), so Apply can find it again. */
  origin?: AttachmentOrigin;
}

/** Zero-based, as VS Code counts. */
export interface TextPosition {
  line: number;
  character: number;
}

export interface AttachmentOrigin {
  /** The document's URI as VS Code prints it (file:///…, untitled:…). */
  uri: string;
  start: TextPosition;
  end: TextPosition;
}

/** A past conversation in the history list. */
export interface ChatSummary {
  id: string;
  title: string;
  updatedAt: number;
  messages: number;
}
