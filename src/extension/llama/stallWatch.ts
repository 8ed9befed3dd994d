// Notices a llama-server that stopped responding (stopped by a signal, hung, swapped to death): while it is
// ready, /health is asked every few seconds, and replies report each chunk they receive. When neither has
// shown a sign of life for the stall timeout, the owner (the supervisor) is told, once.
import { Emitter, type Disposable, type Event } from '../common/emitter';
import { secondsText, type ReplyWatch } from '../chat/replyWatch';
import type { Failure } from './logClassifier';
import { healthStatus } from './serverEndpoints';

export const DEFAULT_STALL_TIMEOUT_MS = 60_000;

export interface StallWatchOptions {
  baseUrl: string;
  /** Silence (no reply chunk, no answer to /health) after which the server counts as stalled; 0: never. */
  timeoutMs: number;
  /** Called once, when the server has been silent for timeoutMs. */
  onSilent(): void;
}

/** How often /health is asked, and how long one answer is waited for: a few tries within the timeout. */
function probeTimes(timeoutMs: number): { intervalMs: number; answerMs: number } {
  return {
    intervalMs: Math.min(5_000, Math.max(100, timeoutMs / 6)),
    answerMs: Math.min(2_000, Math.max(100, timeoutMs / 4)),
  };
}

/** What the crashed state says when Headroom killed a stalled server. */
export function stallFailure(timeoutMs: number): Failure {
  return {
    kind: 'stalled',
    message: `Stalled: llama-server stopped responding for ${secondsText(timeoutMs)} (no reply token, no answer to /health), so Headroom killed it.`,
  };
}

/**
 * One server's watch, from ready until it stops or stalls. Silence is measured on the monotonic clock and
 * judged only right after a fresh /health probe, so a suspended laptop or a busy event loop is no stall.
 */
export class StallWatch implements ReplyWatch, Disposable {
  private readonly stallEmitter = new Emitter<string>();
  readonly onStall: Event<string> = this.stallEmitter.event;
  private lastLife = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private watching: boolean;

  constructor(private readonly options: StallWatchOptions) {
    this.watching = options.timeoutMs > 0;
    this.schedule();
  }

  get stallTimeoutMs(): number {
    return this.options.timeoutMs;
  }

  activity(): void {
    this.lastLife = performance.now();
  }

  /** Ends every reply of this server with `message` (the owner calls it once it has decided what to do). */
  stall(message: string): void {
    this.halt();
    this.stallEmitter.fire(message);
  }

  dispose(): void {
    this.halt();
    this.stallEmitter.dispose();
  }

  private halt(): void {
    this.watching = false;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (!this.watching) return;
    this.timer = setTimeout(() => void this.probe(), probeTimes(this.options.timeoutMs).intervalMs);
  }

  private async probe(): Promise<void> {
    const status = await healthStatus(this.options.baseUrl, probeTimes(this.options.timeoutMs).answerMs);
    if (!this.watching) return;
    if (status !== 0) this.lastLife = performance.now();
    if (performance.now() - this.lastLife < this.options.timeoutMs) {
      this.schedule();
      return;
    }
    this.halt();
    this.options.onSilent();
  }
}
