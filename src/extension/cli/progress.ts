/** A terminal progress bar on stderr: redrawn in place on a TTY, one line per 10% step otherwise. */
export class CliProgress {
  private lastStep = -1;
  private lastMessage = '';
  private drawn = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(percent: number, message: string): void {
    const p = Math.max(0, Math.min(100, Math.floor(percent)));
    if (this.stream.isTTY) {
      const width = 30;
      const filled = Math.round((p / 100) * width);
      this.drawn = true;
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(p).padStart(3)}% ${message}\x1b[K`);
      return;
    }
    const step = Math.floor(p / 10);
    if (step !== this.lastStep || message !== this.lastMessage) {
      this.stream.write(`[${String(p).padStart(3)}%] ${message}\n`);
      this.lastStep = step;
      this.lastMessage = message;
    }
  }

  done(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
