// One file over HTTP into `<dest>.partial`, renamed to `dest` only once it checks out: the size the
// hub lists, a GGUF header that reads, and the sha256 when the hub gives one. Whatever fails a check,
// gives up, runs out of disk or is cancelled stays in the .partial, and the next call resumes or
// restarts it; only a file that checks out counts as already here.
//
// Why not node-llama-cpp's downloader (ipull) and resolveModelFile: resolveModelFile resolves
// `hf:` URIs against huggingface.co itself, so it can't be pointed at the loopback server the tests
// need on this offline network, and ipull's resume and checks can't be observed or injected
// (fetch, retry delay, disk) the way these tests drive them.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { withFileLock } from '../common/fileLock';
import { sizeOrHeaderMismatch, type Verification } from './downloadChecks';
import { DownloadCancelledError, type RetryOptions } from './downloadRetries';
import type { DiskLayer } from './diskSpace';
import type { FetchFn } from './http';
import { partialPath, sizeOf, Transfer } from './transfer';

export interface DownloadFileRequest extends RetryOptions {
  readonly url: string;
  readonly dest: string;
  /** The size the hub lists for the file; the server's Content-Length is not trusted for it. */
  readonly listedSize?: number;
  /** Lower-case hex, as the hub lists it. Also taken from X-Linked-Etag when the server sends one. */
  readonly sha256?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetchImpl?: FetchFn;
  /** Free space and writes; the real disk unless a test simulates one. */
  readonly disk?: DiskLayer;
  /** Called as bytes land: bytes of this file on disk (fewer after a restart), and its size once known. */
  readonly onBytes?: (received: number, total: number | undefined) => void;
}

export interface DownloadedFile {
  readonly path: string;
  readonly size: number;
  /** Bytes already in the .partial when this call began. */
  readonly resumedFrom: number;
  /** How the content was checked. */
  readonly verified: Verification;
  /** The file was already under its final name, with the listed size and a GGUF header that reads. */
  readonly alreadyPresent: boolean;
}

export async function downloadFile(request: DownloadFileRequest): Promise<DownloadedFile> {
  await mkdir(dirname(request.dest), { recursive: true });
  return withFileLock(`${request.dest}.lock`, () => download(request));
}

async function download(request: DownloadFileRequest): Promise<DownloadedFile> {
  if (request.signal?.aborted) throw new DownloadCancelledError(partialPath(request.dest));
  const present = await alreadyHere(request);
  if (present) return present;
  const transfer = await Transfer.open(request);
  if (transfer.holdsListedSize) {
    if (!(await transfer.mismatch())) return transfer.keep();
    await transfer.startOver(); // all the bytes, and wrong: only a new download can fix them
  }
  await transfer.receive();
  const mismatch = await transfer.mismatch();
  if (mismatch) throw transfer.checkFailed(mismatch);
  return transfer.keep();
}

/**
 * The file under its final name when it has the listed size and its GGUF header reads (its sha256 is not
 * hashed again: that reads the whole file). A file that fails stays where it is until a download replaces it.
 */
async function alreadyHere(request: DownloadFileRequest): Promise<DownloadedFile | undefined> {
  const size = await sizeOf(request.dest);
  if (size === undefined || (await sizeOrHeaderMismatch(request.dest, request.listedSize))) return undefined;
  const verified = request.listedSize !== undefined ? 'size' : 'header';
  return { path: request.dest, size, resumedFrom: size, verified, alreadyPresent: true };
}
