import { open } from 'node:fs/promises';
import { GgufFormatError } from './ggufErrors';

/** Random-access bytes: a file on disk, or a buffer in tests. */
export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `target` at `targetOffset`; returns bytes read. */
  read(target: Buffer, targetOffset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    return {
      size,
      read: async (target, targetOffset, length, position) =>
        (await handle.read(target, targetOffset, length, position)).bytesRead,
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    size: data.length,
    read: async (target, targetOffset, length, position) => data.copy(target, targetOffset, position, position + length),
    close: async () => undefined,
  };
}

const CHUNK_BYTES = 1 << 20;

/**
 * A sliding window over a ByteSource. Reads are synchronous on the window; callers ask
 * `lacks(n)` and `await fill(n, ...)` only when the window runs out, so parsing a header of
 * a few hundred thousand strings costs a handful of awaits, not one per value.
 */
export class GgufByteReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** Absolute file offset of the next byte to read. */
  pos = 0;

  constructor(
    private readonly source: ByteSource,
    /** Reading past this offset is refused: no real header is this large, and it bounds time on corrupt counts. */
    readonly maxHeaderBytes: number,
  ) {}

  get fileSize(): number {
    return this.source.size;
  }

  /** Bytes left before the header size limit. */
  headerBudget(): number {
    return this.maxHeaderBytes - this.pos;
  }

  remaining(): number {
    return this.source.size - this.pos;
  }

  lacks(n: number): boolean {
    return this.pos + n > this.windowStart + this.window.length;
  }

  /** Makes the next `n` bytes readable, or throws a GgufFormatError naming `field` and `what` was being read. */
  async fill(n: number, field: string, what: string): Promise<void> {
    if (this.pos + n > this.source.size) {
      throw new GgufFormatError(
        field,
        this.pos,
        `${what}: needs ${n} bytes at byte ${this.pos} but the file has ${this.source.size} bytes (truncated file or corrupt header)`,
      );
    }
    if (this.pos + n > this.maxHeaderBytes) {
      throw new GgufFormatError(
        field,
        this.pos,
        `${what}: the header runs past ${this.maxHeaderBytes} bytes, more than any real model's header (corrupt counts or lengths?)`,
      );
    }
    const start = this.pos;
    const want = Math.min(Math.max(n, CHUNK_BYTES), this.source.size - start);
    const next = Buffer.allocUnsafe(want);
    let have = 0;
    const windowEnd = this.windowStart + this.window.length;
    if (start >= this.windowStart && start < windowEnd) {
      have = this.window.copy(next, 0, start - this.windowStart, Math.min(windowEnd, start + want) - this.windowStart);
    }
    while (have < want) {
      const got = await this.source.read(next, have, want - have, start + have);
      if (got <= 0) throw new GgufFormatError(field, start + have, `${what}: the file ended early while reading (it changed on disk?)`);
      have += got;
    }
    this.window = next;
    this.windowStart = start;
  }

  async ensure(n: number, field: string, what: string): Promise<void> {
    if (this.lacks(n)) await this.fill(n, field, what);
  }

  private at(n: number): number {
    const i = this.pos - this.windowStart;
    this.pos += n;
    return i;
  }

  u8(): number {
    return this.window.readUInt8(this.at(1));
  }
  i8(): number {
    return this.window.readInt8(this.at(1));
  }
  u16(): number {
    return this.window.readUInt16LE(this.at(2));
  }
  i16(): number {
    return this.window.readInt16LE(this.at(2));
  }
  u32(): number {
    return this.window.readUInt32LE(this.at(4));
  }
  i32(): number {
    return this.window.readInt32LE(this.at(4));
  }
  f32(): number {
    return this.window.readFloatLE(this.at(4));
  }
  u64(): bigint {
    return this.window.readBigUInt64LE(this.at(8));
  }
  i64(): bigint {
    return this.window.readBigInt64LE(this.at(8));
  }
  /** A u64 as a number: exact below 2^53, and still larger than any file offset above it (no BigInt cost). */
  u64Number(): number {
    const i = this.at(8);
    return this.window.readUInt32LE(i) + this.window.readUInt32LE(i + 4) * 4294967296;
  }
  f64(): number {
    return this.window.readDoubleLE(this.at(8));
  }
  /** UTF-8 text of the next n buffered bytes (invalid sequences become U+FFFD, as they can't break anything here). */
  text(n: number): string {
    const i = this.at(n);
    return this.window.toString('utf8', i, i + n);
  }
  /** The next n buffered bytes as a latin1 string (one char per byte, so equal strings are equal bytes), without moving. */
  peekLatin1(n: number): string {
    const i = this.pos - this.windowStart;
    return this.window.toString('latin1', i, i + n);
  }
  /** A copy of the next n buffered bytes. */
  bytes(n: number): Buffer {
    const i = this.at(n);
    return Buffer.from(this.window.subarray(i, i + n));
  }
  /** Moves past n bytes without reading them (they need not be buffered). */
  skip(n: number): void {
    this.pos += n;
  }
}
