// Header summaries keyed by path, size and mtime in one JSON file in Headroom's cache folder, so
// listing a models folder reads each multi-GB file's header once, not on every "Select Model...".
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readGgufHeader } from '../gguf/header';
import { type ModelSummary, summarizeHeader } from './modelSummary';

interface Entry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly summary?: ModelSummary;
  /** Why the file is not a readable GGUF; cached too, so a broken file is not re-read each time. */
  readonly error?: string;
}

interface CacheFile {
  readonly version: number;
  readonly entries: Record<string, Entry>;
}

// 3: summaries carry the planner's model shape.
const VERSION = 3;

export type SummaryResult = { readonly summary: ModelSummary } | { readonly error: string };

export class HeaderCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  private constructor(private readonly file: string | undefined) {}

  /** A cache backed by `file` (missing or corrupt: starts empty); no file: in memory only. */
  static async open(file?: string): Promise<HeaderCache> {
    const cache = new HeaderCache(file);
    if (!file) return cache;
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
      if (parsed.version === VERSION && parsed.entries && typeof parsed.entries === 'object') {
        cache.entries = new Map(Object.entries(parsed.entries));
      }
    } catch {
      // first use, or a file from another version: rebuilt as headers are read
    }
    return cache;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The summary of `path` at this size and mtime, reading the header only when the cache misses. */
  async summary(path: string, size: number, mtimeMs: number): Promise<SummaryResult> {
    const hit = this.entries.get(path);
    if (hit && hit.size === size && hit.mtimeMs === mtimeMs) return hit.summary ? { summary: hit.summary } : { error: hit.error ?? 'unreadable' };
    let entry: Entry;
    try {
      entry = { size, mtimeMs, summary: summarizeHeader(await readGgufHeader(path)) };
    } catch (err) {
      entry = { size, mtimeMs, error: err instanceof Error ? err.message : String(err) };
    }
    this.entries.set(path, entry);
    this.dirty = true;
    return entry.summary ? { summary: entry.summary } : { error: entry.error ?? 'unreadable' };
  }

  /** Writes the cache atomically if anything changed. */
  async save(): Promise<void> {
    if (!this.file || !this.dirty) return;
    const data: CacheFile = { version: VERSION, entries: Object.fromEntries(this.entries) };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(data));
    await rename(tmp, this.file);
    this.dirty = false;
  }
}
