import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { renameWithRetry, type RenameRetryOptions } from '../common/renameWithRetry';

/** Test seams: a step between the fsynced temp file and the rename (a crash there must lose nothing), and the rename itself. */
export interface AtomicWriteHooks {
  beforeRename?(tempPath: string): void | Promise<void>;
  /** How the rename is retried while Windows says another program holds the file. */
  rename?: RenameRetryOptions;
}

export const TEMP_MARKER = '.tmp-';

/**
 * Writes `data` to `path` so that a reader (or a crash at any instant) sees either the old file or the
 * new one, never a mix: write a temp file in the same folder, fsync it, rename it over the target, then
 * fsync the folder so the rename itself is durable. A leftover temp file is garbage, never data.
 */
export async function writeFileAtomic(path: string, data: string, hooks: AtomicWriteHooks = {}): Promise<void> {
  const temp = `${path}${TEMP_MARKER}${randomBytes(6).toString('hex')}`;
  const handle = await fs.open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await hooks.beforeRename?.(temp);
    await renameWithRetry(temp, path, hooks.rename);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncFolder(dirname(path));
}

async function syncFolder(folder: string): Promise<void> {
  // Not supported on Windows (EPERM/EISDIR); there NTFS journals the rename itself.
  try {
    const handle = await fs.open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}

/** Moves a file that cannot be read aside as `<name>.corrupt` (or `.corrupt-2`, ...), keeping it for the user; returns that name. */
export async function setAside(path: string): Promise<string> {
  for (let n = 1; ; n++) {
    const target = n === 1 ? `${path}.corrupt` : `${path}.corrupt-${n}`;
    try {
      await fs.access(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await renameWithRetry(path, target);
      return target;
    }
  }
}
