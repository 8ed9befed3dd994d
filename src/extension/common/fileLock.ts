// A lock is a folder at `<path>` holding one entry, `<pid>-<nonce>`, that names its holder.
// - It appears whole: the folder is made with its entry under a temporary name, then renamed into
//   place, which fails onto a lock (an empty folder is none), so no one sees a lock without its holder.
// - A dead holder's lock is removed by unlinking that exact entry. If someone took it over first,
//   their lock is another folder with another entry, so the unlink finds nothing; rmdir then
//   removes only an empty folder, never a lock someone holds. No step acts on a stale look.
// Not proper-lockfile: it judges a lock stale by its age and removes it check-then-act (stat, rmdir).
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './processAlive';

const HOLDER = /^(\d+)-[0-9a-f]+$/;
const FIRST_PAUSE_MS = 10;
const MAX_PAUSE_MS = 250;
/** An earlier Headroom's lock was a file it created and then wrote its pid into. */
const LEGACY_WRITE_GRACE_MS = 5_000;

/**
 * Runs `work` while holding `<path>` as an exclusive lock across processes. A lock left by a dead
 * process is taken over; a live holder is waited for (a second build waits for the first), and
 * `onWait` is called once when that happens.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  const unlock = await lockFile(path, onWait);
  try {
    return await work();
  } finally {
    await unlock();
  }
}

/** Takes `<path>` as withFileLock does, for a hold that spans more than one call; resolves to its release. */
export async function lockFile(path: string, onWait?: () => void): Promise<() => Promise<void>> {
  const entry = await acquire(path, onWait);
  return () => release(path, entry);
}

async function acquire(path: string, onWait?: () => void): Promise<string> {
  const entry = `${process.pid}-${randomBytes(8).toString('hex')}`;
  for (let pause = FIRST_PAUSE_MS, waited = false; ; ) {
    if (await tryToTake(path, entry)) return entry;
    if (await clearIfAbandoned(path)) continue;
    if (!waited) onWait?.();
    waited = true;
    await sleep(pause * (0.5 + Math.random()));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

/** Prepares the lock folder with its entry and renames it to `path`; false when a lock is there. */
async function tryToTake(path: string, entry: string): Promise<boolean> {
  // Next to the lock, as a rename is atomic only within one file system; made for each try, so a
  // process killed while it waits leaves nothing behind.
  const staging = `${path}.${entry}.tmp`;
  await mkdir(staging);
  try {
    await writeFile(join(staging, entry), '');
    return await moveInto(staging, path);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function release(path: string, entry: string): Promise<void> {
  await unlink(join(path, entry)).catch(unless('ENOENT'));
  await removeIfEmpty(path);
}

/** True when the prepared folder is now the lock at `path`; false when a lock is there. */
async function moveInto(staging: string, path: string): Promise<boolean> {
  try {
    await rename(staging, path);
    return true;
  } catch (err) {
    const code = errorCode(err);
    // POSIX: ENOTEMPTY or EEXIST onto a lock folder, ENOTDIR onto an earlier Headroom's lock file.
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') return false;
    // Windows refuses to rename onto any existing folder.
    if ((code === 'EPERM' || code === 'EACCES') && (await exists(path))) return false;
    throw err;
  }
}

/** Removes the lock at `path` when no live process holds it; true when it is gone. */
async function clearIfAbandoned(path: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return true;
    if (errorCode(err) === 'ENOTDIR') return clearLegacyLock(path);
    throw err;
  }
  if (entries.some((e) => processAlive(holderPid(e)))) return false;
  for (const e of entries) await unlink(join(path, e)).catch(unless('ENOENT'));
  await removeIfEmpty(path);
  return true;
}

/**
 * `path` is a lock file from an earlier Headroom: its holder's pid, written just after the file was
 * made (so it may be empty for a moment). Its removal is check-then-act, as that version's own was,
 * but unlink never removes a lock folder.
 */
async function clearLegacyLock(path: string): Promise<boolean> {
  const text = await readFile(path, 'utf8').catch(unless('ENOENT', 'EISDIR'));
  if (text === undefined) return true; // gone, or a lock folder now
  const pid = Number.parseInt(text, 10);
  const held = Number.isFinite(pid) ? processAlive(pid) : Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0) < LEGACY_WRITE_GRACE_MS;
  if (held) return false;
  try {
    await unlink(path);
  } catch (err) {
    // A lock folder is there now (unlink says EISDIR, or EPERM on macOS): wait for it.
    if (errorCode(err) === 'EISDIR' || errorCode(err) === 'EPERM') return false;
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  return true;
}

/** rmdir removes only an empty folder: a lock someone holds stays. */
async function removeIfEmpty(path: string): Promise<void> {
  await rmdir(path).catch(unless('ENOENT', 'ENOTEMPTY', 'EEXIST'));
}

function holderPid(entry: string): number | undefined {
  const m = HOLDER.exec(entry);
  return m ? Number(m[1]) : undefined;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A catch handler that ignores the errors with these codes and rethrows the rest. */
function unless(...codes: string[]): (err: unknown) => void {
  return (err) => {
    if (!codes.includes(errorCode(err) ?? '')) throw err;
  };
}
