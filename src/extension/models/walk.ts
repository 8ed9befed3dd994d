import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface WalkOptions {
  readonly maxDepth: number;
  /** Which files to yield, by name. */
  readonly match: (name: string) => boolean;
  /** Stop after visiting this many directory entries (a models folder pointed at / must not hang the picker). */
  readonly maxEntries?: number;
}

/**
 * Files under `root` whose names match, following symbolic links (Hugging Face snapshots are links
 * into blobs/, and users link model folders together); hidden folders are skipped. Missing or
 * unreadable folders yield nothing.
 */
export async function walkFiles(root: string, options: WalkOptions): Promise<string[]> {
  const found: string[] = [];
  let budget = options.maxEntries ?? 50_000;
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (--budget < 0) return;
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isFile && options.match(entry.name)) found.push(path);
      else if (isDir && depth < options.maxDepth) await visit(path, depth + 1);
    }
  };
  await visit(root, 0);
  return found;
}
