import { open, type FileHandle } from 'node:fs/promises';
import { Emitter } from '../../common/emitter';
import { LineSplitter } from '../lineSplitter';

const CHUNK = 64 * 1024;

/**
 * Follows a log file that a detached llama-server writes (it may outlive this process, so its output
 * cannot go through a pipe, whose end would kill it with SIGPIPE): new lines as events, by polling.
 */
export class LogTail {
  private readonly lineEmitter = new Emitter<string>();
  readonly onLine = this.lineEmitter.event;
  private readonly split = new LineSplitter();
  private handle: Promise<FileHandle | undefined>;
  private offset: number;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();

  /** From `offset` (the end, for a server that was already running), every `intervalMs`. */
  constructor(path: string, offset: number, intervalMs = 200) {
    this.offset = offset;
    this.handle = open(path, 'r').catch(() => undefined);
    this.timer = setInterval(() => void this.drain(), intervalMs);
    this.timer.unref();
  }

  /** Reads what is left, emits a last partial line, and stops. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.drain();
    this.split.end((l) => this.lineEmitter.fire(l));
    await (await this.handle)?.close().catch(() => undefined);
    this.handle = Promise.resolve(undefined);
    this.lineEmitter.dispose();
  }

  private drain(): Promise<void> {
    this.reading = this.reading.then(async () => {
      const fh = await this.handle;
      if (!fh) return;
      const buf = Buffer.alloc(CHUNK);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, CHUNK, this.offset).catch(() => ({ bytesRead: 0 }));
        if (bytesRead === 0) return;
        this.offset += bytesRead;
        this.split.push(buf.subarray(0, bytesRead).toString('utf8'), (l) => this.lineEmitter.fire(l));
      }
    });
    return this.reading;
  }
}
