import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, HeadroomError } from '../common/errors';
import type { ChatEntry, ChatSummary } from './entries';
import { decodeChatFile, decodeIndex, encodeChatFile, encodeIndex, HISTORY_FORMAT, isChatId, type SavedChat } from './historyFormat';
import { setAside, TEMP_MARKER, writeFileAtomic, type AtomicWriteHooks } from './storeFiles';

export interface StoreLog {
  warn(message: string): void;
}

/** A conversation file written by a newer Headroom: it is left as it is, so that build still has it. */
export class NewerHistoryError extends HeadroomError {
  constructor(
    readonly file: string,
    readonly format: number,
  ) {
    super(
      `Chat history: ${file} was written by a newer version of Headroom (history format ${format}; this one reads up to ${HISTORY_FORMAT}).`,
      'It is left untouched and not listed; update Headroom to open it.',
    );
    this.name = 'NewerHistoryError';
  }
}

const INDEX = 'index.json';

export function summarize(chat: SavedChat): ChatSummary {
  return { id: chat.id, title: chat.title, updatedAt: chat.updatedAt, messages: chat.entries.length };
}

/**
 * Chat history on disk, free of VS Code: the folder (the extension's globalStorage) comes in as a string.
 * Every write is atomic (see storeFiles.ts) and writes to one store are serialized. `index.json` is only
 * a cache of the summaries: when it is missing, unreadable or disagrees with the files, it is rebuilt
 * from them. A file that does not parse or validate is renamed `*.corrupt` and the rest still load; one
 * in a newer history format (historyFormat.ts) is reported and never renamed, rewritten or deleted.
 */
export class ChatStore {
  private queue: Promise<unknown> = Promise.resolve();
  private index: Map<string, ChatSummary> | undefined;
  /** The format of each file found in a newer one, by chat id. */
  private readonly newer = new Map<string, number>();

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
  load(id: string): Promise<SavedChat | undefined> {
    if (!isChatId(id)) return Promise.resolve(undefined);
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

  /** Refuses (NewerHistoryError) to replace a file in a newer format. */
  save(chat: SavedChat): Promise<void> {
    if (!isChatId(chat.id)) return Promise.reject(new Error(`Invalid chat id: ${chat.id}`));
    const data = encodeChatFile(chat);
    const summary = summarize(chat);
    return this.serialized(async () => {
      this.refuseNewer(chat.id);
      await fs.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(join(this.dir, `${chat.id}.json`), data, this.hooks);
      const index = await this.loadIndex();
      index.set(chat.id, summary);
      await this.writeIndex(index);
    });
  }

  /** Refuses (NewerHistoryError) to delete a file in a newer format. */
  delete(id: string): Promise<void> {
    if (!isChatId(id)) return Promise.resolve();
    return this.serialized(async () => {
      this.refuseNewer(id);
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
    // Missing, unreadable or another format: rebuilt below.
    const cached = decodeIndex(await fs.readFile(join(this.dir, INDEX), 'utf8').catch(() => ''));
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
    await writeFileAtomic(join(this.dir, INDEX), encodeIndex([...index.values()]), this.hooks);
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
      else if (name !== INDEX && name.endsWith('.json') && isChatId(name.slice(0, -5))) files.push(name);
    }
    return files;
  }

  private refuseNewer(id: string): void {
    const format = this.newer.get(id);
    if (format !== undefined) throw new NewerHistoryError(`${id}.json`, format);
  }

  private async readChat(file: string): Promise<SavedChat | undefined> {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch {
      return undefined;
    }
    const contents = decodeChatFile(text);
    if (contents.kind === 'newer') {
      this.newer.set(file.slice(0, -'.json'.length), contents.format);
      this.log.warn(errorMessage(new NewerHistoryError(file, contents.format)));
      return undefined;
    }
    if (contents.kind === 'unreadable' || `${contents.chat.id}.json` !== file) {
      const aside = await setAside(path).catch(() => path);
      this.log.warn(`Chat history: ${file} could not be read and was set aside as ${aside}`);
      return undefined;
    }
    return { ...contents.chat, entries: contents.chat.entries.map(markInterrupted) };
  }
}

/** A reply still 'streaming' on disk was cut off by a crash or a closed window. */
function markInterrupted(entry: ChatEntry): ChatEntry {
  return entry.status === 'streaming' ? { ...entry, status: 'interrupted' } : entry;
}

function sortNewest(chats: ChatSummary[]): ChatSummary[] {
  return chats.sort((a, b) => b.updatedAt - a.updatedAt);
}
