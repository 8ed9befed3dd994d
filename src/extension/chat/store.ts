import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { Emitter, type Disposable } from '../common/emitter';
import { errorMessage, HeadroomError } from '../common/errors';
import type { ChatEntry, ChatSummary } from './entries';
import { decodeChatFile, decodeIndex, encodeChatFile, encodeIndex, HISTORY_FORMAT, isChatId, MAX_CHAT_FILE_BYTES, type SavedChat } from './historyFormat';
import { setAside, TEMP_MARKER, writeFileAtomic, type AtomicWriteHooks } from './storeFiles';

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

export interface ChatStoreOptions {
  hooks?: AtomicWriteHooks;
}

const INDEX = 'index.json';

const mib = (bytes: number): string => `${Math.round(bytes / (1024 * 1024))} MiB`;
const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

export function summarize(chat: SavedChat): ChatSummary {
  return { id: chat.id, title: chat.title, updatedAt: chat.updatedAt, messages: chat.entries.length };
}

/**
 * Chat history on disk, free of VS Code: the folder (the extension's globalStorage) comes in as a string.
 * Every write is atomic (see storeFiles.ts) and writes to one store are serialized. `index.json` is only
 * a cache of the summaries: when it is missing, unreadable or disagrees with the files, it is rebuilt
 * from them, and a folder where it cannot be written is still listed. A file that does not parse or
 * validate is renamed `*.corrupt` and the rest still load; one in a newer history format (historyFormat.ts),
 * one over MAX_CHAT_FILE_BYTES and one that cannot be opened are never renamed, rewritten or deleted.
 * Each file left out is told on `onProblem`, once.
 */
export class ChatStore implements Disposable {
  private readonly problems = new Emitter<string>();
  /** A plain sentence for each file left out of the list (and what became of it), once per file and reason. */
  readonly onProblem = this.problems.event;
  private queue: Promise<unknown> = Promise.resolve();
  private index: Map<string, ChatSummary> | undefined;
  /** The format of each file found in a newer one, by chat id. */
  private readonly newer = new Map<string, number>();
  /** Files still in the folder but left out of the index, by file name. */
  private skipped = new Set<string>();
  private readonly told = new Set<string>();

  constructor(
    private readonly dir: string,
    private readonly options: ChatStoreOptions = {},
  ) {}

  /** Summaries, newest first. */
  list(): Promise<ChatSummary[]> {
    return this.serialized(async () => sortNewest([...(await this.loadIndex()).values()]));
  }

  /** The conversation, or undefined if it is gone or cannot be read (see onProblem). Streaming replies come back 'interrupted'. */
  load(id: string): Promise<SavedChat | undefined> {
    if (!isChatId(id)) return Promise.resolve(undefined);
    return this.serialized(async () => {
      const chat = await this.readChat(`${id}.json`);
      if (!chat) {
        const index = await this.loadIndex();
        if (index.delete(id)) await this.cacheIndex(index);
        return undefined;
      }
      return chat;
    });
  }

  /** Refuses (NewerHistoryError) to replace a file in a newer format, and a chat too big to read back. */
  save(chat: SavedChat): Promise<void> {
    if (!isChatId(chat.id)) return Promise.reject(new Error(`Invalid chat id: ${String(chat.id)}`));
    const data = encodeChatFile(chat);
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes > MAX_CHAT_FILE_BYTES) {
      return Promise.reject(
        new HeadroomError(`"${chat.title}" would take ${mib(bytes)}, more than the ${mib(MAX_CHAT_FILE_BYTES)} a chat file may have.`, 'Its last saved state is kept; start a new chat to go on.'),
      );
    }
    const summary = summarize(chat);
    return this.serialized(async () => {
      this.refuseNewer(chat.id);
      await fs.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(join(this.dir, `${chat.id}.json`), data, this.options.hooks);
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

  dispose(): void {
    this.problems.dispose();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async loadIndex(): Promise<Map<string, ChatSummary>> {
    if (this.index) return this.index;
    const listed = (await this.chatFiles()).filter((file) => !this.skipped.has(file));
    // Missing, unreadable or another format: rebuilt below.
    const cached = decodeIndex(await fs.readFile(join(this.dir, INDEX), 'utf8').catch(() => ''));
    const agrees = cached !== undefined && cached.length === listed.length && cached.every((c) => listed.includes(`${c.id}.json`));
    if (agrees && cached) {
      this.index = new Map(cached.map((c) => [c.id, c]));
      return this.index;
    }
    return this.rebuild();
  }

  private async rebuild(): Promise<Map<string, ChatSummary>> {
    const index = new Map<string, ChatSummary>();
    this.skipped = new Set();
    for (const file of await this.chatFiles()) {
      const chat = await this.readChat(file);
      if (chat) index.set(chat.id, summarize(chat));
    }
    await this.cacheIndex(index);
    return index;
  }

  private async writeIndex(index: Map<string, ChatSummary>): Promise<void> {
    this.index = index;
    await fs.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(join(this.dir, INDEX), encodeIndex([...index.values()]), this.options.hooks);
  }

  /** Writes the index on the way while reading: in a folder that cannot be written it is kept in memory (saving there fails, and says so). */
  private async cacheIndex(index: Map<string, ChatSummary>): Promise<void> {
    await this.writeIndex(index).catch(() => undefined);
  }

  /** `<id>.json` names; leftover temp files from a crash are removed on the way. */
  private async chatFiles(): Promise<string[]> {
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (err) {
      if (isMissing(err)) return [];
      throw new HeadroomError(`Chat history: the folder ${this.dir} could not be read: ${errorMessage(err)}`, undefined, { cause: err });
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

  /** Leaves `file` out of the index, and tells why unless that was told already. */
  private skip(file: string, why: string): undefined {
    this.skipped.add(file);
    this.tell(why);
    return undefined;
  }

  private tell(message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.problems.fire(message);
  }

  private async readChat(file: string): Promise<SavedChat | undefined> {
    const path = join(this.dir, file);
    const text = await this.readText(file, path);
    if (text === undefined) return undefined;
    const contents = decodeChatFile(text);
    if (contents.kind === 'newer') {
      this.newer.set(file.slice(0, -'.json'.length), contents.format);
      return this.skip(file, errorMessage(new NewerHistoryError(file, contents.format)));
    }
    if (contents.kind === 'unreadable' || `${contents.chat.id}.json` !== file) {
      try {
        this.tell(`Chat history: ${path} could not be read as a chat; it was set aside as ${await setAside(path)}.`);
        return undefined;
      } catch (err) {
        return this.skip(file, `Chat history: ${path} could not be read as a chat, and setting it aside failed (${errorMessage(err)}); it is left as it is and not listed.`);
      }
    }
    return { ...contents.chat, entries: contents.chat.entries.map(markInterrupted) };
  }

  /** The file's text; undefined when it is gone, or (told) cannot be opened or is too big to read. */
  private async readText(file: string, path: string): Promise<string | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (err) {
      return isMissing(err) ? undefined : this.skip(file, `Chat history: ${path} could not be opened (${errorMessage(err)}); it is left as it is and not listed.`);
    }
    try {
      const { size } = await handle.stat();
      if (size > MAX_CHAT_FILE_BYTES) {
        return this.skip(file, `Chat history: ${path} is ${mib(size)}, more than the ${mib(MAX_CHAT_FILE_BYTES)} a chat file may have; it is left as it is and not listed.`);
      }
      return await handle.readFile('utf8');
    } catch (err) {
      return this.skip(file, `Chat history: ${path} could not be read (${errorMessage(err)}); it is left as it is and not listed.`);
    } finally {
      await handle.close();
    }
  }
}

/** A reply still 'streaming' on disk was cut off by a crash or a closed window. */
function markInterrupted(entry: ChatEntry): ChatEntry {
  return entry.status === 'streaming' ? { ...entry, status: 'interrupted' } : entry;
}

function sortNewest(chats: ChatSummary[]): ChatSummary[] {
  return chats.sort((a, b) => b.updatedAt - a.updatedAt);
}
