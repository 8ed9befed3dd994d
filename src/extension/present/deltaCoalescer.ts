import type { Disposable } from '../common/emitter';
import type { HostToWebview } from '../../webview/protocol/chat';

export interface CoalescerClock {
  now(): number;
  /** Runs `fn` after `ms`; returns a function that cancels it. */
  schedule(fn: () => void, ms: number): () => void;
}

const realClock: CoalescerClock = {
  now: () => Date.now(),
  schedule: (fn, ms) => {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

/**
 * Sits between the conversation's events and webview.postMessage: streamed text for an entry is merged so
 * that at most one delta batch goes out per interval (a fast model emits hundreds of tokens a second, and
 * each postMessage crosses two processes). Every other message first flushes what is pending, so the
 * webview always sees the text before the entryDone or entryAdded that follows it.
 */
export class DeltaCoalescer implements Disposable {
  private readonly pending = new Map<string, string>();
  private cancelTimer: (() => void) | undefined;
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly post: (message: HostToWebview) => void,
    private readonly intervalMs = 30,
    private readonly clock: CoalescerClock = realClock,
  ) {}

  push(message: HostToWebview): void {
    if (message.type !== 'entryDelta') {
      this.flush();
      this.post(message);
      return;
    }
    this.pending.set(message.id, (this.pending.get(message.id) ?? '') + message.text);
    if (this.cancelTimer) return;
    const wait = this.lastFlushAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.flush();
    } else {
      this.cancelTimer = this.clock.schedule(() => {
        this.cancelTimer = undefined;
        this.flush();
      }, wait);
    }
  }

  flush(): void {
    this.stopTimer();
    if (this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    this.lastFlushAt = this.clock.now();
    for (const [id, text] of batch) this.post({ type: 'entryDelta', id, text });
  }

  /** Forgets pending text: a snapshot already holds it, and a hidden webview must not get it later. */
  discard(): void {
    this.stopTimer();
    this.pending.clear();
  }

  dispose(): void {
    this.discard();
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
