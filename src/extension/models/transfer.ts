// One file's bytes on their way into `<dest>.partial`: resumed with Range where an earlier try
// stopped, retried within DownloadRetries' bounds, with room on the disk checked first. The server's
// Content-Length says when a body is done, never whether the file is right: downloadChecks does that.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, rm, stat } from 'node:fs/promises';
import { renameWithRetry } from '../common/renameWithRetry';
import { dirname } from 'node:path';
import type { DownloadedFile, DownloadFileRequest } from './downloader';
import { DownloadCheckError, type FileMismatch, sha256Mismatch, sizeOrHeaderMismatch } from './downloadChecks';
import { DownloadRetries } from './downloadRetries';
import { assertRoomFor, diskFullError, type DiskLayer, isDiskFull, REAL_DISK } from './diskSpace';
import { httpGet, type HttpResult, statusError, TooManyRedirectsError } from './http';
import { parseContentRange } from './remoteSource';

const SHA256 = /^[0-9a-f]{64}$/;
const MAGIC = Buffer.from('GGUF');

/** What an answer means for the transfer: a body to append (the file's size per the server), done, or try again. */
type Answer = { readonly kind: 'body'; readonly size: number | undefined } | { readonly kind: 'complete' } | { readonly kind: 'again'; readonly why: Error };

const COMPLETE: Answer = { kind: 'complete' };

export function partialPath(dest: string): string {
  return `${dest}.partial`;
}

export async function sizeOf(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.size;
}

async function hashPrefix(path: string, bytes: number): Promise<Hash> {
  const hash = createHash('sha256');
  if (bytes <= 0) return hash;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 })) hash.update(chunk as Buffer);
  return hash;
}

/** Whether the first bytes of `path` could begin a GGUF file (an HTML page saved by an earlier try can't). */
async function startsLikeGguf(path: string, size: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const want = Math.min(size, MAGIC.length);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(want), 0, want, 0);
    return buffer.subarray(0, bytesRead).equals(MAGIC.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * reader.read(), or the signal's reason once it aborts: Node 20's fetch can leave a read pending forever
 * when its request is aborted just as the body ends (seen on 20.20 with a fast loopback server).
 */
function readUnlessAborted(reader: ReadableStreamDefaultReader<Uint8Array>, signal: AbortSignal): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (signal.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    reader.read().then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The reason the signal was aborted with; AbortController.abort() gives a DOMException, which is an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason));
}

function asError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  // fetch's "fetch failed" / "terminated" say less than their cause ("other side closed").
  return err.cause instanceof Error ? new Error(`${err.message}: ${err.cause.message}`, { cause: err }) : err;
}

export class Transfer {
  private readonly partial: string;
  private readonly retries: DownloadRetries;
  private readonly disk: DiskLayer;
  /** The size the hub lists (the tree API, or X-Linked-Size on the redirect); the file must have it. */
  private listedSize: number | undefined;
  /** The file's size as the server's answers give it: when to stop reading, not what to trust. */
  private serverSize: number | undefined;
  private sha256: string | undefined;
  private hash: Hash | undefined;
  private roomChecked = false;

  /** Bytes already in the .partial when this call began. */
  readonly resumedFrom: number;

  private constructor(
    private readonly request: DownloadFileRequest,
    private offset: number,
  ) {
    this.resumedFrom = offset;
    this.partial = partialPath(request.dest);
    this.retries = new DownloadRetries(request.dest, this.partial, request, offset);
    this.disk = request.disk ?? REAL_DISK;
    this.listedSize = request.listedSize;
    this.sha256 = request.sha256?.toLowerCase();
  }

  /**
   * Picks up what an earlier try left in the .partial, unless it is longer than the file or not the start of
   * a GGUF file (an HTML page): then the download starts from byte 0, overwriting it once bytes arrive.
   */
  static async open(request: DownloadFileRequest): Promise<Transfer> {
    const partial = partialPath(request.dest);
    let offset = (await sizeOf(partial)) ?? 0;
    const tooLong = request.listedSize !== undefined && offset > request.listedSize;
    if (offset > 0 && (tooLong || !(await startsLikeGguf(partial, offset)))) offset = 0;
    const transfer = new Transfer(request, offset);
    if (transfer.sha256) transfer.hash = await hashPrefix(partial, offset);
    return transfer;
  }

  private get end(): number | undefined {
    return this.listedSize ?? this.serverSize;
  }

  /** The .partial already holds as many bytes as the hub lists: an earlier try finished them but failed a check or stopped before the rename. */
  get holdsListedSize(): boolean {
    return this.listedSize !== undefined && this.offset === this.listedSize;
  }

  /** Asks for the rest of the file until the .partial holds it all, trying again while that gets somewhere. */
  async receive(): Promise<void> {
    await this.checkRoom();
    for (;;) {
      this.retries.throwIfCancelled();
      if (this.end !== undefined && this.offset >= this.end) return;
      const watch = this.retries.watch();
      let failure: Error | undefined;
      try {
        failure = await this.tryOnce(watch.signal);
      } finally {
        watch.end();
      }
      if (!failure) return;
      await this.retries.retryAfter(watch.timedOut ? new Error(watch.timedOut, { cause: failure }) : failure);
    }
  }

  /** What does not match in the .partial, or undefined when it may take the final name. */
  async mismatch(): Promise<FileMismatch | undefined> {
    if ((await sizeOf(this.partial)) === undefined) return { check: 'size', what: 'no bytes arrived' };
    const bad = await sizeOrHeaderMismatch(this.partial, this.listedSize);
    if (bad || !this.sha256 || !this.hash) return bad;
    return sha256Mismatch(this.hash.copy().digest('hex'), this.sha256);
  }

  checkFailed(mismatch: FileMismatch): DownloadCheckError {
    return new DownloadCheckError(this.request.dest, mismatch, `What arrived is kept in ${this.partial} and is not used as a model; pulling again checks it, then resumes or starts over.`);
  }

  /** The checked .partial takes the final name. */
  async keep(): Promise<DownloadedFile> {
    const { dest } = this.request;
    const size = (await sizeOf(this.partial)) ?? 0;
    await renameWithRetry(this.partial, dest);
    const verified = this.sha256 ? 'sha256' : this.listedSize !== undefined ? 'size' : 'header';
    return { path: dest, size, resumedFrom: this.resumedFrom, verified, alreadyPresent: false };
  }

  async startOver(): Promise<void> {
    this.offset = 0;
    this.roomChecked = false;
    await rm(this.partial, { force: true });
    if (this.sha256) this.hash = createHash('sha256');
  }

  /** One request from where the .partial ends: undefined when the file is all here, else why to try again. Throws what no retry fixes. */
  private async tryOnce(signal: AbortSignal): Promise<Error | undefined> {
    const range: Record<string, string> = this.offset > 0 ? { range: `bytes=${this.offset}-` } : {};
    let result: HttpResult;
    try {
      result = await httpGet(this.request.url, { headers: { ...this.request.headers, ...range }, signal, fetchImpl: this.request.fetchImpl });
    } catch (err) {
      if (err instanceof TooManyRedirectsError) throw err;
      return asError(err);
    }
    await this.adoptListing(result);
    const answer = await this.readStatus(result.response);
    if (answer.kind === 'complete') return undefined;
    if (answer.kind === 'again') return answer.why;
    const changed = await this.agreeOnSize(answer.size, result.response);
    if (changed) return changed;
    await this.checkRoom();
    return this.append(result.response, signal);
  }

  /** The hub's redirect names the file's size (X-Linked-Size) and sha256 (X-Linked-Etag): a plain resolve URL is checked against them too. */
  private async adoptListing(result: HttpResult): Promise<void> {
    if (this.listedSize === undefined && result.linkedSize !== undefined) {
      this.listedSize = result.linkedSize;
      if (this.offset > this.listedSize) await this.startOver();
    }
    if (this.sha256 || !result.linkedEtag || !SHA256.test(result.linkedEtag)) return;
    this.sha256 = result.linkedEtag;
    this.hash = await hashPrefix(this.partial, this.offset);
  }

  private async readStatus(response: Response): Promise<Answer> {
    if (response.status === 206) return this.rangeAnswer(response);
    if (response.status === 200) {
      if (this.offset > 0) await this.startOver(); // the server ignored the Range header
      const length = Number(response.headers.get('content-length') ?? NaN);
      return { kind: 'body', size: Number.isFinite(length) ? length : undefined };
    }
    await response.body?.cancel();
    if (response.status === 416) return this.resumeRefused(response);
    if (response.status >= 500 || response.status === 408 || response.status === 429) return { kind: 'again', why: new Error(`HTTP ${response.status}`) };
    throw statusError(response.status, `Downloading ${this.request.url}`);
  }

  private async rangeAnswer(response: Response): Promise<Answer> {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range && range.start === this.offset) return { kind: 'body', size: range.total };
    await response.body?.cancel();
    await this.startOver();
    return { kind: 'again', why: new Error(`the server sent the wrong range (${response.headers.get('content-range')})`) };
  }

  /** HTTP 416: past the end means everything is here; otherwise the server won't resume, so start over. */
  private async resumeRefused(response: Response): Promise<Answer> {
    const serverSize = /^bytes \*\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1];
    if ((this.end !== undefined && this.offset >= this.end) || (serverSize !== undefined && this.offset === Number(serverSize))) return COMPLETE;
    await this.startOver();
    return { kind: 'again', why: new Error('the server refused to resume (HTTP 416)') };
  }

  /**
   * A server whose size differs from the listing sends another file (changed upstream, a broken mirror, a
   * short Content-Length): refused before its body is read. A size that changes between two answers
   * means the bytes here are from another version: start over.
   */
  private async agreeOnSize(serverSize: number | undefined, response: Response): Promise<Error | undefined> {
    if (serverSize !== undefined && this.listedSize !== undefined && serverSize !== this.listedSize) {
      await response.body?.cancel();
      throw new DownloadCheckError(this.request.dest, { check: 'size', what: `the server sends ${serverSize} bytes, the hub lists ${this.listedSize}` }, 'The file changed upstream or the server is broken; nothing is kept under the final name.');
    }
    if (serverSize !== undefined && this.serverSize !== undefined && serverSize !== this.serverSize) {
      await response.body?.cancel();
      const why = new Error(`the file's size changed from ${this.serverSize} to ${serverSize} bytes between two answers`);
      this.serverSize = undefined;
      await this.startOver();
      return why;
    }
    this.serverSize = serverSize ?? this.serverSize;
    return undefined;
  }

  /** Room for the rest of the file (once its size is known), before its bytes are written. */
  private async checkRoom(): Promise<void> {
    if (this.roomChecked || this.end === undefined) return;
    await assertRoomFor(this.disk, dirname(this.partial), this.end - this.offset, this.partial);
    this.roomChecked = true;
  }

  /** Appends the body to the .partial: undefined once the whole file is there, else why to try again. */
  private async append(response: Response, signal: AbortSignal): Promise<Error | undefined> {
    const handle = await open(this.partial, this.offset === 0 ? 'w' : 'a');
    let broken: { readonly error: unknown } | undefined;
    try {
      await this.copyBody(response, handle, signal);
    } catch (error) {
      broken = { error };
    } finally {
      await handle.close();
    }
    if (broken && isDiskFull(broken.error)) {
      throw await diskFullError(this.disk, dirname(this.partial), this.end === undefined ? undefined : this.end - this.offset, this.partial, broken.error);
    }
    if (broken) return asError(broken.error);
    if (this.end === undefined || this.offset >= this.end) return undefined;
    return new Error(`the connection closed after ${this.offset} of ${this.end} bytes`);
  }

  private async copyBody(response: Response, handle: FileHandle, signal: AbortSignal): Promise<void> {
    const reader = response.body?.getReader();
    if (!reader) return;
    try {
      for (let chunk = await readUnlessAborted(reader, signal); !chunk.done; chunk = await readUnlessAborted(reader, signal)) {
        await this.disk.write(handle, chunk.value);
        this.hash?.update(chunk.value);
        this.offset += chunk.value.byteLength;
        this.retries.reached(this.offset);
        this.request.onBytes?.(this.offset, this.end);
      }
    } catch (err) {
      void reader.cancel().catch(() => undefined); // not awaited: after the hang above, it may not settle either
      throw err;
    }
  }
}
