// When a download tries again and when it gives up. Progress means bytes past the furthest point
// the file has reached in this call: a server that closes early and ignores Range sends the same
// first bytes forever, which is traffic, not progress. Tries without progress are bounded in count
// and in time, and a connection that goes silent is dropped rather than waited on.
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, HeadroomError } from '../common/errors';
import { formatDuration } from './format';

export class DownloadCancelledError extends CancelledError {
  constructor(partial: string) {
    super('Download cancelled.', `What arrived is kept in ${partial}; downloading again resumes it.`);
    this.name = 'DownloadCancelledError';
  }
}

/** Tries kept failing without getting further: out of tries, or out of time. */
export class DownloadGaveUpError extends HeadroomError {
  constructor(dest: string, partial: string, reason: string, last: Error) {
    super(`Download of ${dest} gave up: ${reason} (last: ${last.message}).`, `What arrived is kept in ${partial}; downloading again resumes it.`, { cause: last });
    this.name = 'DownloadGaveUpError';
  }
}

export interface RetryOptions {
  readonly signal?: AbortSignal;
  /** Tries in a row that bring no byte past the furthest one so far, before giving up. Default 8. */
  readonly maxTries?: number;
  /** Time without such progress, waits included, before giving up. Default 10 minutes. */
  readonly maxStallMs?: number;
  /** A connection that sends nothing for this long is dropped and tried again. Default 60 s. */
  readonly idleMs?: number;
  /** First wait between tries, doubled each time up to 30 s, and back to this after progress. Default 1000 ms. */
  readonly retryDelayMs?: number;
  /** Told why, before each wait for another try. */
  readonly onRetry?: (why: string) => void;
}

const MAX_DELAY_MS = 30_000;
const DEFAULT_MAX_TRIES = 8;
const DEFAULT_MAX_STALL_MS = 10 * 60_000;
const DEFAULT_IDLE_MS = 60_000;

/** One request's signal: aborted by a cancel, by `idleMs` of silence, or by running out of time without progress. */
export interface RequestWatch {
  readonly signal: AbortSignal;
  /** Why the watch aborted the request, when it did. */
  readonly timedOut: string | undefined;
  /** Stops the timer; the request is over. */
  end(): void;
}

/** Paces one download's tries and ends them: cancelled, too many without progress, or too long without it. */
export class DownloadRetries {
  private failedTries = 0;
  private delay: number;
  private furthest: number;
  private furthestAtTryStart: number;
  private lastProgressAt: number;
  private lastByteAt: number;

  constructor(
    private readonly dest: string,
    private readonly partial: string,
    private readonly options: RetryOptions,
    /** Bytes already in the .partial: reaching them again is not progress. */
    startBytes: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.delay = this.firstDelay;
    this.furthest = this.furthestAtTryStart = startBytes;
    this.lastProgressAt = this.lastByteAt = now();
  }

  private get firstDelay(): number {
    return this.options.retryDelayMs ?? 1000;
  }

  private get maxStallMs(): number {
    return this.options.maxStallMs ?? DEFAULT_MAX_STALL_MS;
  }

  throwIfCancelled(): void {
    if (this.options.signal?.aborted) throw new DownloadCancelledError(this.partial);
  }

  /** The file now reaches `offset` bytes. */
  reached(offset: number): void {
    this.lastByteAt = this.now();
    if (offset <= this.furthest) return;
    this.furthest = offset;
    this.lastProgressAt = this.lastByteAt;
  }

  /** Starts watching one request. */
  watch(): RequestWatch {
    this.furthestAtTryStart = this.furthest;
    this.lastByteAt = this.now();
    const idleMs = this.options.idleMs ?? DEFAULT_IDLE_MS;
    const controller = new AbortController();
    const user = this.options.signal;
    const onCancel = (): void => controller.abort(user?.reason);
    user?.addEventListener('abort', onCancel, { once: true });
    if (user?.aborted) onCancel();
    let timer: NodeJS.Timeout | undefined;
    let timedOut: string | undefined;
    const check = (): void => {
      const t = this.now();
      const idleAt = this.lastByteAt + idleMs;
      const stallAt = this.lastProgressAt + this.maxStallMs;
      timedOut = t >= stallAt ? this.stalledFor() : t >= idleAt ? `no data for ${formatDuration(idleMs / 1000)}` : undefined;
      if (timedOut) controller.abort(new Error(timedOut));
      else timer = setTimeout(check, Math.min(idleAt, stallAt) - t);
    };
    check();
    return {
      signal: controller.signal,
      get timedOut() {
        return timedOut;
      },
      end: () => {
        clearTimeout(timer);
        user?.removeEventListener('abort', onCancel);
      },
    };
  }

  private stalledFor(): string {
    return `no progress for ${formatDuration(this.maxStallMs / 1000)}`;
  }

  private outOfTime(): boolean {
    return this.now() - this.lastProgressAt >= this.maxStallMs;
  }

  /** After a try that failed: throws when cancelled, out of tries or out of time; else waits for the next. */
  async retryAfter(why: Error): Promise<void> {
    this.throwIfCancelled();
    if (this.furthest > this.furthestAtTryStart) {
      this.failedTries = 0;
      this.delay = this.firstDelay;
    } else {
      this.failedTries++;
    }
    const maxTries = this.options.maxTries ?? DEFAULT_MAX_TRIES;
    if (this.failedTries >= maxTries) throw new DownloadGaveUpError(this.dest, this.partial, `${maxTries} tries in a row added nothing`, why);
    if (this.outOfTime()) throw new DownloadGaveUpError(this.dest, this.partial, this.stalledFor(), why);
    this.options.onRetry?.(why.message);
    const left = this.lastProgressAt + this.maxStallMs - this.now();
    await sleep(Math.max(0, Math.min(this.delay, left)), undefined, { signal: this.options.signal }).catch(() => undefined);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.throwIfCancelled();
    if (this.outOfTime()) throw new DownloadGaveUpError(this.dest, this.partial, this.stalledFor(), why);
  }
}
