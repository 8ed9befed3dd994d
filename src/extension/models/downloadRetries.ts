import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, HeadroomError } from '../common/errors';

export class DownloadCancelledError extends CancelledError {
  constructor(partial: string) {
    super('Download cancelled.', `What arrived is kept in ${partial}; downloading again resumes it.`);
    this.name = 'DownloadCancelledError';
  }
}

export interface RetryOptions {
  readonly signal?: AbortSignal;
  /** Consecutive failed attempts (no byte received) before giving up. Default 5. */
  readonly maxRetries?: number;
  /** First retry delay, doubled each time up to 30 s. Default 1000 ms. */
  readonly retryDelayMs?: number;
}

const MAX_DELAY_MS = 30_000;

/** Counts one download's consecutive failures and paces its retries; a cancel ends the wait and the download. */
export class DownloadRetries {
  private failures = 0;
  private delay: number;

  constructor(
    private readonly dest: string,
    private readonly partial: string,
    private readonly options: RetryOptions,
  ) {
    this.delay = this.firstDelay;
  }

  private get firstDelay(): number {
    return this.options.retryDelayMs ?? 1000;
  }

  throwIfCancelled(): void {
    if (this.options.signal?.aborted) throw new DownloadCancelledError(this.partial);
  }

  /** Waits before the next try, or throws: cancelled, or too many failures in a row. */
  async wait(why: unknown): Promise<void> {
    this.throwIfCancelled();
    const maxRetries = this.options.maxRetries ?? 5;
    if (++this.failures > maxRetries) {
      throw new HeadroomError(`Download of ${this.dest} failed after ${maxRetries} retries: ${why instanceof Error ? why.message : String(why)}.`, `What arrived is kept in ${this.partial}; downloading again resumes it.`, { cause: why });
    }
    await sleep(this.delay, undefined, { signal: this.options.signal }).catch(() => undefined);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }

  /** Bytes arrived before a connection closed short: the failures so far no longer count. */
  forgetFailures(): void {
    this.failures = 0;
  }

  /** Bytes arrived before a connection broke: the failures no longer count and the delay starts small again. */
  madeProgress(): void {
    this.failures = 0;
    this.delay = this.firstDelay;
  }
}
