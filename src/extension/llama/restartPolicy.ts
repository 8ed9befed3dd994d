/**
 * Decides whether a crashed server is restarted and after how long: exponential backoff from
 * `baseDelayMs`, giving up after `maxCrashes` crashes inside `windowMs`.
 */
export interface RestartPolicyOptions {
  maxCrashes: number;
  windowMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  now: () => number;
}

export const DEFAULT_RESTART_POLICY: Omit<RestartPolicyOptions, 'now'> = {
  maxCrashes: 5,
  windowMs: 3 * 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
};

export type RestartDecision = { restart: true; delayMs: number; crashesInWindow: number } | { restart: false; crashesInWindow: number };

export class RestartPolicy {
  private crashes: number[] = [];
  private readonly options: RestartPolicyOptions;

  constructor(options: Partial<RestartPolicyOptions> = {}) {
    this.options = { ...DEFAULT_RESTART_POLICY, now: Date.now, ...options };
  }

  /** Records a crash now and says what to do about it. */
  onCrash(): RestartDecision {
    const now = this.options.now();
    this.crashes = this.crashes.filter((t) => now - t < this.options.windowMs);
    this.crashes.push(now);
    const count = this.crashes.length;
    if (count >= this.options.maxCrashes) return { restart: false, crashesInWindow: count };
    const delayMs = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (count - 1));
    return { restart: true, delayMs, crashesInWindow: count };
  }

  /** A start the user asked for begins a fresh count. */
  reset(): void {
    this.crashes = [];
  }
}
