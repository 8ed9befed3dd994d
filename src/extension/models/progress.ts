/** Bytes so far, speed over the last few seconds, and time left. */
export interface DownloadProgress {
  /** The file being fetched now, e.g. "model-00002-of-00003.gguf". */
  readonly file: string;
  readonly receivedBytes: number;
  readonly totalBytes?: number;
  readonly bytesPerSecond: number;
  readonly etaSeconds?: number;
}

/**
 * Speed over a sliding window, so a stall shows up within seconds and a burst doesn't last. The window
 * starts again when the total goes back (a server that ignored Range: the file restarts) and when a retry
 * starts, so neither a rewind nor the wait before a retry is measured as speed.
 */
export class SpeedMeter {
  private samples: { at: number; bytes: number }[] = [];

  constructor(
    private readonly windowMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Records the running total of bytes received; returns bytes per second. */
  add(totalBytes: number): number {
    const at = this.now();
    const last = this.samples[this.samples.length - 1];
    if (last && totalBytes < last.bytes) this.restart();
    this.samples.push({ at, bytes: totalBytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
    return this.rate();
  }

  restart(): void {
    this.samples = [];
  }

  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

export function progressOf(file: string, receivedBytes: number, totalBytes: number | undefined, bytesPerSecond: number): DownloadProgress {
  const etaSeconds = totalBytes !== undefined && bytesPerSecond > 0 ? Math.max(0, totalBytes - receivedBytes) / bytesPerSecond : undefined;
  return { file, receivedBytes, totalBytes, bytesPerSecond, etaSeconds };
}
