// The checks a downloaded file passes before it gets its final name: the size the hub lists (not the
// Content-Length a server sent), a GGUF header that reads (header only: a few MB, whatever the
// file's size), and the sha256 the hub lists when it lists one.
import { stat } from 'node:fs/promises';
import { HeadroomError } from '../common/errors';
import { openFileSource } from '../gguf/byteReader';
import { GgufFormatError, readGgufHeaderFrom } from '../gguf/header';

export type DownloadCheck = 'size' | 'gguf' | 'sha256';

/** How a kept file was checked: all three, size and header, or the header alone (nothing listed to compare to). */
export type Verification = 'sha256' | 'size' | 'header';

const CHECK_NAMES: Readonly<Record<DownloadCheck, string>> = { size: 'size', gguf: 'GGUF header', sha256: 'sha256' };

export interface FileMismatch {
  readonly check: DownloadCheck;
  /** What did not match, e.g. "1000 bytes, the hub lists 612345". */
  readonly what: string;
}

/** A download that is not the file it should be; its bytes stay in the .partial, never under the final name. */
export class DownloadCheckError extends HeadroomError {
  readonly check: DownloadCheck;

  constructor(dest: string, mismatch: FileMismatch, hint: string) {
    super(`${dest} failed the ${CHECK_NAMES[mismatch.check]} check: ${mismatch.what}.`, hint);
    this.name = 'DownloadCheckError';
    this.check = mismatch.check;
  }
}

export function sizeMismatch(size: number, listedSize: number | undefined, what = 'the file has'): FileMismatch | undefined {
  if (listedSize === undefined || size === listedSize) return undefined;
  return { check: 'size', what: `${what} ${size} bytes, the hub lists ${listedSize}` };
}

export function sha256Mismatch(got: string, listed: string | undefined): FileMismatch | undefined {
  if (listed === undefined || got === listed) return undefined;
  return { check: 'sha256', what: `got ${got}, the hub lists ${listed}` };
}

/** Why the GGUF header at `path` does not read, or undefined when it does. */
export async function ggufMismatch(path: string): Promise<FileMismatch | undefined> {
  const source = await openFileSource(path);
  try {
    await readGgufHeaderFrom(source);
    return undefined;
  } catch (err) {
    if (!(err instanceof GgufFormatError)) throw err;
    return { check: 'gguf', what: `${err.message} (field ${err.field}, byte offset ${err.offset})` };
  } finally {
    await source.close();
  }
}

/** The size and header checks, cheapest first; the sha256 needs the bytes hashed, which the caller does as they arrive. */
export async function sizeOrHeaderMismatch(path: string, listedSize: number | undefined): Promise<FileMismatch | undefined> {
  return sizeMismatch((await stat(path)).size, listedSize) ?? (await ggufMismatch(path));
}

/** For the CLI and the log: "sha256 checked". */
export function describeVerification(verified: Verification): string {
  if (verified === 'header') return 'GGUF header checked; no size or sha256 listed to check against';
  return `${verified} checked`;
}
