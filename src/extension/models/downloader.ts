// One file over HTTP into `<dest>.partial`, renamed to `dest` only after its size (and sha256,
// when known) check out. An interrupted connection resumes with a Range request; a cancelled
// download keeps its .partial so the next try resumes it.
//
// Why not node-llama-cpp's downloader (ipull) and resolveModelFile: resolveModelFile resolves
// `hf:` URIs against huggingface.co itself, so it can't be pointed at the loopback server the tests
// need on this offline network, and ipull's resume and checks can't be observed or injected
// (fetch, retry delay) the way these tests drive them. This one is a few hundred lines on fetch.
import { createHash, Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { FileHandle, mkdir, open, rm, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HeadroomError } from '../common/errors';
import { withFileLock } from '../common/fileLock';
import { renameWithRetry } from '../common/renameWithRetry';
import { DownloadRetries, RetryOptions } from './downloadRetries';
import { FetchFn, httpGet, HttpResult, statusError, TooManyRedirectsError } from './http';
import { parseContentRange } from './remoteSource';

export interface DownloadFileRequest extends RetryOptions {
  readonly url: string;
  readonly dest: string;
  /** From the repository listing; the server's own length must agree. */
  readonly expectedSize?: number;
  /** Lower-case hex. Also taken from X-Linked-Etag when the server sends one. */
  readonly sha256?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetchImpl?: FetchFn;
  /** Called as bytes land: bytes of this file on disk, and its size once known. */
  readonly onBytes?: (received: number, total: number | undefined) => void;
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
  const present = await completeFile(request);
  if (present) return present;
  const transfer = await Transfer.resume(request);
  await transfer.receive();
  return transfer.verifyAndKeep();
}

/** The file under its final name, when it is there with the expected size. */
async function completeFile(request: DownloadFileRequest): Promise<DownloadedFile | undefined> {
  const size = await sizeOf(request.dest);
  if (size === undefined || (request.expectedSize !== undefined && size !== request.expectedSize)) return undefined;
  return { path: request.dest, size, resumedFrom: size, verified: 'none', alreadyPresent: true };
}

/** What an answer means for the transfer: a body to append (of this total size), done, or ask again. */
type Answer = { readonly kind: 'body'; readonly total: number | undefined } | { readonly kind: 'complete' } | { readonly kind: 'again' };

const COMPLETE: Answer = { kind: 'complete' };
const AGAIN: Answer = { kind: 'again' };

/** One file's bytes on their way into its .partial: how far they are, how large the file is, how it is checked. */
class Transfer {
  private readonly partial: string;
  private readonly retries: DownloadRetries;
  private total: number | undefined;
  private sha256: string | undefined;
  private hash: Hash | undefined;

  /** Bytes already in the .partial when this call began. */
  readonly resumedFrom: number;

  private constructor(
    private readonly request: DownloadFileRequest,
    private offset: number,
  ) {
    this.resumedFrom = offset;
    this.partial = partialPath(request.dest);
    this.retries = new DownloadRetries(request.dest, this.partial, request);
    this.total = request.expectedSize;
    this.sha256 = request.sha256?.toLowerCase();
  }

  /** Picks up what an earlier try left in the .partial (unless it is longer than the file can be). */
  static async resume(request: DownloadFileRequest): Promise<Transfer> {
    const partial = partialPath(request.dest);
    let offset = (await sizeOf(partial)) ?? 0;
    if (request.expectedSize !== undefined && offset > request.expectedSize) {
      await truncate(partial, 0);
      offset = 0;
    }
    const transfer = new Transfer(request, offset);
    if (transfer.sha256) transfer.hash = await hashPrefix(partial, offset);
    return transfer;
  }

  /** Asks for the rest of the file until it is all in the .partial, retrying what is worth retrying. */
  async receive(): Promise<void> {
    for (;;) {
      this.retries.throwIfCancelled();
      if (this.total !== undefined && this.offset === this.total) return;
      const result = await this.get();
      if (!result) continue;
      await this.adoptLinkedSha256(result);
      const answer = await this.readStatus(result.response);
      if (answer.kind === 'complete') return;
      if (answer.kind === 'again') continue;
      await this.agreeOnTotal(answer.total, result.response);
      if (await this.append(result.response)) return;
    }
  }

  /** Checks size and sha256, then gives the file its final name. */
  async verifyAndKeep(): Promise<DownloadedFile> {
    const { dest } = this.request;
    const size = (await sizeOf(this.partial)) ?? 0;
    if (this.total !== undefined && size !== this.total) return this.discard(`Size check failed for ${dest}: ${size} bytes arrived, expected ${this.total}.`);
    if (this.sha256 && this.hash) {
      const got = this.hash.digest('hex');
      if (got !== this.sha256) return this.discard(`Checksum failed for ${dest}: sha256 ${got}, expected ${this.sha256}.`, 'The download was corrupted or the file changed upstream; nothing was kept. Try again.');
    }
    await renameWithRetry(this.partial, dest);
    return { path: dest, size, resumedFrom: this.resumedFrom, verified: this.sha256 ? 'sha256' : this.total !== undefined ? 'size' : 'none', alreadyPresent: false };
  }

  /** The answer to a GET from where the .partial ends, or undefined after a failure worth retrying (already waited for). */
  private async get(): Promise<HttpResult | undefined> {
    const range: Record<string, string> = this.offset > 0 ? { range: `bytes=${this.offset}-` } : {};
    try {
      return await httpGet(this.request.url, { headers: { ...this.request.headers, ...range }, signal: this.request.signal, fetchImpl: this.request.fetchImpl });
    } catch (err) {
      if (err instanceof TooManyRedirectsError) throw err;
      await this.retries.wait(err);
      return undefined;
    }
  }

  /** A server that names the file's sha256 (X-Linked-Etag) gets it checked, from the bytes already here on. */
  private async adoptLinkedSha256(result: HttpResult): Promise<void> {
    if (this.sha256 || !result.linkedEtag || !SHA256.test(result.linkedEtag)) return;
    this.sha256 = result.linkedEtag;
    this.hash = await hashPrefix(this.partial, this.offset);
  }

  private async readStatus(response: Response): Promise<Answer> {
    if (response.status === 206) return this.rangeAnswer(response);
    if (response.status === 200) return this.wholeFileAnswer(response);
    await response.body?.cancel();
    if (response.status === 416) return this.resumeRefused();
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      await this.retries.wait(new Error(`HTTP ${response.status}`));
      return AGAIN;
    }
    throw statusError(response.status, `Downloading ${this.request.url}`);
  }

  private async rangeAnswer(response: Response): Promise<Answer> {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range && range.start === this.offset) return { kind: 'body', total: range.total };
    await response.body?.cancel();
    await this.startOver();
    await this.retries.wait(new Error(`the server sent the wrong range (${response.headers.get('content-range')})`));
    return AGAIN;
  }

  private async wholeFileAnswer(response: Response): Promise<Answer> {
    if (this.offset > 0) await this.startOver(); // the server ignored the Range header
    const length = Number(response.headers.get('content-length') ?? NaN);
    return { kind: 'body', total: Number.isFinite(length) ? length : undefined };
  }

  /** HTTP 416: past the end means everything is here; otherwise the server won't resume, so start over. */
  private async resumeRefused(): Promise<Answer> {
    if (this.total !== undefined && this.offset >= this.total) return COMPLETE;
    await this.startOver();
    await this.retries.wait(new Error('the server refused to resume (HTTP 416)'));
    return AGAIN;
  }

  private async agreeOnTotal(serverTotal: number | undefined, response: Response): Promise<void> {
    if (serverTotal !== undefined && this.total !== undefined && serverTotal !== this.total) {
      await response.body?.cancel();
      await this.discard(`Size check failed for ${this.request.dest}: the server sends ${serverTotal} bytes, the listing says ${this.total}.`, 'The file changed upstream or the mirror is broken; nothing was kept.');
    }
    this.total = serverTotal ?? this.total;
  }

  /** Appends the body to the .partial; true once the whole file is there, false to ask again. */
  private async append(response: Response): Promise<boolean> {
    const from = this.offset;
    const handle = await open(this.partial, from === 0 ? 'w' : 'a');
    let broken: { readonly error: unknown } | undefined;
    try {
      await this.copyBody(response, handle);
    } catch (error) {
      broken = { error };
    } finally {
      await handle.close();
    }
    if (broken) {
      if (this.offset > from) this.retries.madeProgress();
      await this.retries.wait(broken.error);
      return false;
    }
    if (this.total === undefined || this.offset >= this.total) return true;
    if (this.offset > from) this.retries.forgetFailures();
    await this.retries.wait(new Error(`the connection closed after ${this.offset} of ${this.total} bytes`));
    return false;
  }

  private async copyBody(response: Response, handle: FileHandle): Promise<void> {
    const reader = response.body?.getReader();
    if (!reader) return;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      await handle.write(chunk.value);
      this.hash?.update(chunk.value);
      this.offset += chunk.value.byteLength;
      this.request.onBytes?.(this.offset, this.total);
    }
  }

  private async startOver(): Promise<void> {
    this.offset = 0;
    await rm(this.partial, { force: true });
    if (this.sha256) this.hash = createHash('sha256');
  }

  /** A check failed for good: nothing is kept, not even the .partial. */
  private async discard(message: string, hint?: string): Promise<never> {
    await rm(this.partial, { force: true });
    throw new HeadroomError(message, hint);
  }
}
