import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { isChatEntry, isChatSummary, type ChatEntry, type ChatSummary } from '../../webview/protocol/chat';
import { setAside, TEMP_MARKER, writeFileAtomic, type AtomicWriteHooks } from './storeFiles';

/** One conversation as it is stored: one JSON file per conversation, `<id>.json`. */
export interface StoredChat {
  format: 1;
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  entries: ChatEntry[];
}

export interface StoreLog {
  warn(message: string): void;
}

const INDEX = 'index.json';
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function isStoredChat(v: unknown): v is StoredChat {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    c.format === 1 &&
    typeof c.id === 'string' &&
    ID.test(c.id) &&
    typeof c.title === 'string' &&
    typeof c.createdAt === 'number' &&
    typeof c.updatedAt === 'number' &&
    Array.isArray(c.entries) &&
    c.entries.every(isChatEntry)
  );
}

export function summarize(chat: StoredChat): ChatSummary {
  return { id: chat.id, title: chat.title, updatedAt: chat.updatedAt, messages: chat.entries.length };
}

/**
 * Chat history on disk, free of VS Code: the folder (the extension's globalStorage) comes in as a string.
 * Every write is atomic (see storeFiles.ts) and writes to one store are serialized. `index.json` is only
 * a cache of the summaries: when it is missing, unreadable or disagrees with the files, it is rebuilt
 * from them. A file that does not parse or validate is renamed `*.corrupt` and the rest still load.
 */
export class ChatStore {
  private queue: Promise<unknown> = Promise.resolve();
  private index: Map<string, ChatSummary> | undefined;

  constructor(
    private readonly dir: string,
    private readonly log: StoreLog = { warn: () => undefined },
    private readonly hooks: AtomicWriteHooks = {},
  ) {}

  /** Summaries, newest first. */
  list(): Promise<ChatSummary[]> {
    return this.serialized(async () => sortNewest([...(await this.loadIndex()).values()]));
  }

  /** The conversation, or undefined if it is gone or corrupt (then set aside). Streaming replies come back 'interrupted'. */
  load(id: string): Promise<StoredChat | undefined> {
    if (!ID.test(id)) return Promise.resolve(undefined);
    return this.serialized(async () => {
      const chat = await this.readChat(`${id}.json`);
      if (!chat) {
        const index = await this.loadIndex();
        if (index.delete(id)) await this.writeIndex(index);
        return undefined;
      }
      return chat;
    });
  }

  save(chat: StoredChat): Promise<void> {
    if (!ID.test(chat.id)) return Promise.reject(new Error(`Invalid chat id: ${chat.id}`));
    const data = JSON.stringify(chat);
    const summary = summarize(chat);
    return this.serialized(async () => {
      await fs.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(join(this.dir, `${chat.id}.json`), data, this.hooks);
      const index = await this.loadIndex();
      index.set(chat.id, summary);
      await this.writeIndex(index);
    });
  }

  delete(id: string): Promise<void> {
    if (!ID.test(id)) return Promise.resolve();
    return this.serialized(async () => {
      await fs.rm(join(this.dir, `${id}.json`), { force: true });
      const index = await this.loadIndex();
      if (index.delete(id)) await this.writeIndex(index);
    });
  }

  /** Reads every conversation file and rewrites the index from them. */
  rebuildIndex(): Promise<ChatSummary[]> {
    return this.serialized(async () => {
      this.index = undefined;
      return sortNewest([...(await this.rebuild()).values()]);
    });
  }

  /** Waits for every write queued so far. */
  async flush(): Promise<void> {
    await this.serialized(async () => undefined);
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async loadIndex(): Promise<Map<string, ChatSummary>> {
    if (this.index) return this.index;
    const files = await this.chatFiles();
    let cached: ChatSummary[] | undefined;
    try {
      const parsed: unknown = JSON.parse(await fs.readFile(join(this.dir, INDEX), 'utf8'));
      const chats = (parsed as { chats?: unknown }).chats;
      if (Array.isArray(chats) && chats.every(isChatSummary)) cached = chats;
    } catch {
      // missing or unreadable: rebuilt below
    }
    const agrees = cached !== undefined && cached.length === files.length && cached.every((c) => files.includes(`${c.id}.json`));
    if (agrees && cached) {
      this.index = new Map(cached.map((c) => [c.id, c]));
      return this.index;
    }
    return this.rebuild();
  }

  private async rebuild(): Promise<Map<string, ChatSummary>> {
    const index = new Map<string, ChatSummary>();
    for (const file of await this.chatFiles()) {
      const chat = await this.readChat(file);
      if (chat) index.set(chat.id, summarize(chat));
    }
    this.index = index;
    await this.writeIndex(index);
    return index;
  }

  private async writeIndex(index: Map<string, ChatSummary>): Promise<void> {
    this.index = index;
    await fs.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, INDEX), JSON.stringify({ format: 1, chats: [...index.values()] }), this.hooks);
  }

  /** `<id>.json` names; leftover temp files from a crash are removed on the way. */
  private async chatFiles(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch {
      return [];
    }
    const files: string[] = [];
    for (const name of names.sort()) {
      if (name.includes(TEMP_MARKER)) await fs.rm(join(this.dir, name), { force: true }).catch(() => undefined);
      else if (name !== INDEX && name.endsWith('.json') && ID.test(name.slice(0, -5))) files.push(name);
    }
    return files;
  }

  private async readChat(file: string): Promise<StoredChat | undefined> {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isStoredChat(parsed) || `${parsed.id}.json` !== file) {
      const aside = await setAside(path).catch(() => path);
      this.log.warn(`Chat history: ${file} could not be read and was set aside as ${aside}`);
      return undefined;
    }
    return { ...parsed, entries: parsed.entries.map(markInterrupted) };
  }
}

/** A reply still 'streaming' on disk was cut off by a crash or a closed window. */
function markInterrupted(entry: ChatEntry): ChatEntry {
  return entry.status === 'streaming' ? { ...entry, status: 'interrupted' } : entry;
}

function sortNewest(chats: ChatSummary[]): ChatSummary[] {
  return chats.sort((a, b) => b.updatedAt - a.updatedAt);
}
