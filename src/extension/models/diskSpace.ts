// Free space for a download: checked before the first byte (the rest of the file plus a margin) and
// named when a write fails with ENOSPC. The statfs and the write go through a DiskLayer so tests can
// simulate a full disk without filling a real one.
import { type FileHandle, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { HeadroomError } from '../common/errors';
import { formatBytes } from './format';

export interface DiskLayer {
  /** As fs.statfs: blocks available to this user, and the block size. */
  statfs(path: string): Promise<{ readonly bavail: number; readonly bsize: number }>;
  /** Writes all of `chunk` at the file's position; rejects (ENOSPC, EDQUOT...) when it can't. */
  write(handle: FileHandle, chunk: Uint8Array): Promise<void>;
}

export const REAL_DISK: DiskLayer = {
  statfs: (path) => statfs(path),
  async write(handle, chunk) {
    for (let at = 0; at < chunk.byteLength; ) {
      const { bytesWritten } = await handle.write(chunk, at, chunk.byteLength - at);
      if (bytesWritten <= 0) throw new Error(`write returned ${bytesWritten} bytes`);
      at += bytesWritten;
    }
  },
};

/** Kept free beyond the file itself, so a download does not leave the disk at zero for everything else. */
export const SPACE_MARGIN_BYTES = 64 * 1024 * 1024;

/** The disk has no room for the download; what arrived stays in the .partial. */
export class DiskFullError extends HeadroomError {
  constructor(
    /** Undefined when the server never said how large the file is. */
    readonly neededBytes: number | undefined,
    readonly freeBytes: number,
    readonly mount: string,
    /** Where what arrived is kept: a .partial file. */
    kept: string,
    options?: { cause?: unknown },
  ) {
    super(
      neededBytes === undefined
        ? `disk full: ${formatBytes(freeBytes)} free on ${mount}, not enough for the rest of the file.`
        : `disk full: ${formatBytes(neededBytes)} needed, ${formatBytes(freeBytes)} free on ${mount}.`,
      `Free some space there or choose another download folder; what arrived is kept in ${kept} and the next pull resumes it.`,
      options,
    );
    this.name = 'DiskFullError';
  }
}

export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** `path` itself or its nearest ancestor that exists (a download folder may not be made yet). */
async function existingAncestor(path: string): Promise<string> {
  let at = resolve(path);
  while (!(await stat(at).catch(() => undefined)) && dirname(at) !== at) at = dirname(at);
  return at;
}

/** The mount point holding `path`: the highest ancestor on the same device. */
async function mountPointOf(path: string): Promise<string> {
  let at = path;
  const device = (await stat(at)).dev;
  while (dirname(at) !== at && (await stat(dirname(at))).dev === device) at = dirname(at);
  return at;
}

export async function freeSpace(disk: DiskLayer, path: string): Promise<{ readonly freeBytes: number; readonly mount: string }> {
  const dir = await existingAncestor(path);
  const { bavail, bsize } = await disk.statfs(dir);
  return { freeBytes: bavail * bsize, mount: await mountPointOf(dir) };
}

/** Throws DiskFullError unless `bytes` more (plus the margin) fit where `path` is. */
export async function assertRoomFor(disk: DiskLayer, path: string, bytes: number, kept: string): Promise<void> {
  if (bytes <= 0) return;
  const needed = bytes + SPACE_MARGIN_BYTES;
  const { freeBytes, mount } = await freeSpace(disk, path);
  if (freeBytes < needed) throw new DiskFullError(needed, freeBytes, mount, kept);
}

/** The error for a write that failed for lack of space, with what is free now. */
export async function diskFullError(disk: DiskLayer, path: string, bytesLeft: number | undefined, partial: string, cause: unknown): Promise<DiskFullError> {
  const { freeBytes, mount } = await freeSpace(disk, path);
  return new DiskFullError(bytesLeft === undefined ? undefined : bytesLeft + SPACE_MARGIN_BYTES, freeBytes, mount, partial, { cause });
}
