// One file over HTTP into `<dest>.partial`, renamed to `dest` only after its size (and sha256,
// when known) check out. An interrupted connection resumes with a Range request; a cancelled
// download keeps its .partial so the next try resumes it.
//
// Why not node-llama-cpp's downloader (ipull) and resolveModelFile: resolveModelFile resolves
// `hf:` URIs against huggingface.co itself, so it can't be pointed at the loopback server the tests
// need on this offline network, and ipull's resume and checks can't be observed or injected
// (fetch, retry delay) the way these tests drive them. This one is ~150 lines on fetch.
import { createHash, Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, HeadroomError } from '../common/errors';
import { withFileLock } from '../common/fileLock';
import { FetchFn, httpGet, statusError, TooManyRedirectsError } from './http';
import { parseContentRange } from './remoteSource';

export interface DownloadFileRequest {
  readonly url: string;
  readonly dest: string;
  /** From the repository listing; the server's own length must agree. */
  readonly expectedSize?: number;
  /** Lower-case hex. Also taken from X-Linked-Etag when the server sends one. */
  readonly sha256?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly fetchImpl?: FetchFn;
  /** Called as bytes land: bytes of this file on disk, and its size once known. */
  readonly onBytes?: (received: number, total: number | undefined) => void;
  /** Consecutive failed attempts (no byte received) before giving up. Default 5. */
  readonly maxRetries?: number;
  /** First retry delay, doubled each time up to 30 s. Default 1000 ms. */
  readonly retryDelayMs?: number;
}

export interface DownloadedFile {
  readonly path: string;
  readonly size: number;
  /** Bytes already in the .partial when this call began. */
  readonly resumedFrom: number;
  /** How the content was checked. */
  readonly verified: 'sha256' | 'size' | 'none';
  /** The file was already complete under its final name. */
  readonly alreadyPresent: boolean;
}

export class DownloadCancelledError extends CancelledError {
  constructor(partial: string) {
    super('Download cancelled.', `What arrived is kept in ${partial}; downloading again resumes it.`);
    this.name = 'DownloadCancelledError';
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

async function hashPrefix(path: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes <= 0) return hash;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash;
}

async function sizeOf(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.size;
}

export function partialPath(dest: string): string {
  return `${dest}.partial`;
}

export async function downloadFile(request: DownloadFileRequest): Promise<DownloadedFile> {
  await mkdir(dirname(request.dest), { recursive: true });
  return withFileLock(`${request.dest}.lock`, () => download(request));
}

async function download(request: DownloadFileRequest): Promise<DownloadedFile> {
  const { dest, signal } = request;
  const partial = partialPath(dest);
  const present = await sizeOf(dest);
  if (present !== undefined && (request.expectedSize === undefined || present === request.expectedSize)) {
    return { path: dest, size: present, resumedFrom: present, verified: 'none', alreadyPresent: true };
  }
  let offset = (await sizeOf(partial)) ?? 0;
  if (request.expectedSize !== undefined && offset > request.expectedSize) {
    await truncate(partial, 0);
    offset = 0;
  }
  const resumedFrom = offset;
  let total = request.expectedSize;
  let sha256 = request.sha256?.toLowerCase();
  let hash = sha256 ? await hashPrefix(partial, offset) : undefined;
  const restart = async (): Promise<void> => {
    offset = 0;
    await rm(partial, { force: true });
    if (sha256) hash = createHash('sha256');
  };
  const fail = async (message: string, hint?: string): Promise<never> => {
    await rm(partial, { force: true });
    throw new HeadroomError(message, hint);
  };
  const maxRetries = request.maxRetries ?? 5;
  let failures = 0;
  let delay = request.retryDelayMs ?? 1000;
  const retry = async (why: unknown): Promise<void> => {
    if (signal?.aborted) throw new DownloadCancelledError(partial);
    if (++failures > maxRetries) {
      throw new HeadroomError(`Download of ${dest} failed after ${maxRetries} retries: ${why instanceof Error ? why.message : String(why)}.`, `What arrived is kept in ${partial}; downloading again resumes it.`, { cause: why });
    }
    await sleep(delay, undefined, { signal }).catch(() => undefined);
    delay = Math.min(delay * 2, 30_000);
  };

  for (;;) {
    if (signal?.aborted) throw new DownloadCancelledError(partial);
    if (total !== undefined && offset === total) break;
    let result;
    try {
      result = await httpGet(request.url, { headers: { ...request.headers, ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) }, signal, fetchImpl: request.fetchImpl });
    } catch (err) {
      if (err instanceof TooManyRedirectsError) throw err;
      await retry(err);
      continue;
    }
    const { response } = result;
    if (!sha256 && result.linkedEtag && SHA256.test(result.linkedEtag)) {
      sha256 = result.linkedEtag;
      hash = await hashPrefix(partial, offset);
    }
    let serverTotal: number | undefined;
    if (response.status === 206) {
      const range = parseContentRange(response.headers.get('content-range'));
      if (!range || range.start !== offset) {
        await response.body?.cancel();
        await restart();
        await retry(new Error(`the server sent the wrong range (${response.headers.get('content-range')})`));
        continue;
      }
      serverTotal = range.total;
    } else if (response.status === 200) {
      if (offset > 0) await restart(); // the server ignored the Range header: start over
      const length = Number(response.headers.get('content-length') ?? NaN);
      serverTotal = Number.isFinite(length) ? length : undefined;
    } else if (response.status === 416 && total !== undefined && offset >= total) {
      await response.body?.cancel();
      break;
    } else if (response.status === 416) {
      await response.body?.cancel();
      await restart();
      await retry(new Error('the server refused to resume (HTTP 416)'));
      continue;
    } else {
      await response.body?.cancel();
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        await retry(new Error(`HTTP ${response.status}`));
        continue;
      }
      throw statusError(response.status, `Downloading ${request.url}`);
    }
    if (serverTotal !== undefined && total !== undefined && serverTotal !== total) {
      await response.body?.cancel();
      return fail(`Size check failed for ${dest}: the server sends ${serverTotal} bytes, the listing says ${total}.`, 'The file changed upstream or the mirror is broken; nothing was kept.');
    }
    total = serverTotal ?? total;
    const handle = await open(partial, offset === 0 ? 'w' : 'a');
    let progressed = false;
    try {
      const reader = response.body?.getReader();
      for (;;) {
        const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
        if (chunk.done) break;
        await handle.write(chunk.value);
        hash?.update(chunk.value);
        offset += chunk.value.byteLength;
        progressed = true;
        request.onBytes?.(offset, total);
      }
    } catch (err) {
      if (progressed) {
        failures = 0;
        delay = request.retryDelayMs ?? 1000;
      }
      await handle.close();
      await retry(err);
      continue;
    }
    await handle.close();
    if (total === undefined || offset >= total) break;
    if (progressed) failures = 0;
    await retry(new Error(`the connection closed after ${offset} of ${total} bytes`));
  }

  const size = (await sizeOf(partial)) ?? 0;
  if (total !== undefined && size !== total) return fail(`Size check failed for ${dest}: ${size} bytes arrived, expected ${total}.`);
  if (sha256 && hash) {
    const got = hash.digest('hex');
    if (got !== sha256) return fail(`Checksum failed for ${dest}: sha256 ${got}, expected ${sha256}.`, 'The download was corrupted or the file changed upstream; nothing was kept. Try again.');
  }
  await rename(partial, dest);
  return { path: dest, size, resumedFrom, verified: sha256 ? 'sha256' : total !== undefined ? 'size' : 'none', alreadyPresent: false };
}
