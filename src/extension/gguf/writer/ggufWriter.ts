// Low-level GGUF v3 serializer. It writes what it is given, duplicates and all, so tests can
// also build broken files; models.ts builds the valid ones.
import { open } from 'node:fs/promises';
import { GgufValueType, type GgufValueTypeId, tensorBytes } from '../ggmlTypes';

export type KvScalar = number | bigint | boolean | string;

export interface GgufKv {
  readonly key: string;
  readonly type: GgufValueTypeId;
  /** For ARRAY: the item type. */
  readonly itemType?: GgufValueTypeId;
  readonly value: KvScalar | readonly KvScalar[];
}

const T = GgufValueType;
const scalar = (type: GgufValueTypeId) => (key: string, value: KvScalar): GgufKv => ({ key, type, value });
const array = (itemType: GgufValueTypeId) => (key: string, value: readonly KvScalar[]): GgufKv => ({ key, type: T.ARRAY, itemType, value });

/** kv.u32('llama.block_count', 4), kv.strs('tokenizer.ggml.tokens', [...]) ... */
export const kv = {
  u8: scalar(T.UINT8), i8: scalar(T.INT8), u16: scalar(T.UINT16), i16: scalar(T.INT16),
  u32: scalar(T.UINT32), i32: scalar(T.INT32), f32: scalar(T.FLOAT32), bool: scalar(T.BOOL),
  str: scalar(T.STRING), u64: scalar(T.UINT64), i64: scalar(T.INT64), f64: scalar(T.FLOAT64),
  u8s: array(T.UINT8), i8s: array(T.INT8), u16s: array(T.UINT16), i16s: array(T.INT16),
  u32s: array(T.UINT32), i32s: array(T.INT32), f32s: array(T.FLOAT32), bools: array(T.BOOL),
  strs: array(T.STRING), u64s: array(T.UINT64), i64s: array(T.INT64), f64s: array(T.FLOAT64),
};

export interface TensorSpec {
  readonly name: string;
  readonly type: number;
  readonly dims: readonly number[];
  /** Omitted in sparse files: the data region becomes a hole. */
  readonly data?: Uint8Array;
}

/** Where each field landed, so tests can corrupt one precisely. */
export interface HeaderLayout {
  readonly kvs: readonly { readonly key: string; readonly offset: number; readonly typeOffset: number; readonly valueOffset: number }[];
  readonly tensors: readonly {
    readonly name: string;
    readonly offset: number;
    readonly nDimsOffset: number;
    readonly dimsOffset: number;
    readonly typeOffset: number;
    readonly dataOffsetField: number;
    /** Relative to the data section. */
    readonly dataOffset: number;
    readonly bytes: number;
  }[];
  readonly tensorCountOffset: number;
  readonly kvCountOffset: number;
  /** Absolute offset of the data section (end of the padded header). */
  readonly dataOffset: number;
  /** dataOffset + every tensor padded to the alignment. */
  readonly fileSize: number;
}

class ByteBuilder {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(next, 0, 0, this.length);
      this.buf = next;
    }
    const at = this.length;
    this.length += n;
    return at;
  }

  u8(v: number): void { const at = this.room(1); this.buf.writeUInt8(v, at); }
  i8(v: number): void { const at = this.room(1); this.buf.writeInt8(v, at); }
  u16(v: number): void { const at = this.room(2); this.buf.writeUInt16LE(v, at); }
  i16(v: number): void { const at = this.room(2); this.buf.writeInt16LE(v, at); }
  u32(v: number): void { const at = this.room(4); this.buf.writeUInt32LE(v, at); }
  i32(v: number): void { const at = this.room(4); this.buf.writeInt32LE(v, at); }
  f32(v: number): void { const at = this.room(4); this.buf.writeFloatLE(v, at); }
  f64(v: number): void { const at = this.room(8); this.buf.writeDoubleLE(v, at); }
  u64(v: number | bigint): void { const at = this.room(8); this.buf.writeBigUInt64LE(BigInt(v), at); }
  i64(v: number | bigint): void { const at = this.room(8); this.buf.writeBigInt64LE(BigInt(v), at); }
  raw(bytes: Uint8Array): void {
    const at = this.room(bytes.length);
    this.buf.set(bytes, at);
  }
  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.raw(bytes);
  }
  pad(alignment: number): void {
    this.room((alignment - (this.length % alignment)) % alignment);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(b: ByteBuilder, type: GgufValueTypeId, v: KvScalar): void {
  const n = (): number => Number(v);
  switch (type) {
    case T.UINT8: return b.u8(n());
    case T.INT8: return b.i8(n());
    case T.UINT16: return b.u16(n());
    case T.INT16: return b.i16(n());
    case T.UINT32: return b.u32(n());
    case T.INT32: return b.i32(n());
    case T.FLOAT32: return b.f32(n());
    case T.BOOL: return b.u8(v ? 1 : 0);
    case T.STRING: return b.str(String(v));
    case T.UINT64: return b.u64(typeof v === 'bigint' ? v : n());
    case T.INT64: return b.i64(typeof v === 'bigint' ? v : n());
    case T.FLOAT64: return b.f64(n());
    case T.ARRAY: throw new Error('nested arrays are not GGUF');
  }
}

export interface SerializeOptions {
  readonly alignment?: number;
  readonly version?: number;
}

/** The header, padded to the alignment, and where everything in it (and after it) lies. */
export function serializeHeader(
  kvs: readonly GgufKv[],
  tensors: readonly TensorSpec[],
  options: SerializeOptions = {},
): { readonly header: Buffer; readonly layout: HeaderLayout } {
  const alignment = options.alignment ?? 32;
  const b = new ByteBuilder();
  b.raw(Buffer.from('GGUF', 'latin1'));
  b.u32(options.version ?? 3);
  const tensorCountOffset = b.length;
  b.u64(tensors.length);
  const kvCountOffset = b.length;
  b.u64(kvs.length);
  const kvLayout: HeaderLayout['kvs'][number][] = [];
  for (const entry of kvs) {
    const offset = b.length;
    b.str(entry.key);
    const typeOffset = b.length;
    b.u32(entry.type);
    if (entry.type === T.ARRAY) {
      // typeof, not Array.isArray, which narrows a readonly array to any[]; no KvScalar is an object.
      const items = typeof entry.value === 'object' ? entry.value : [entry.value];
      const itemType = entry.itemType ?? T.UINT8;
      b.u32(itemType);
      b.u64(items.length);
      const valueOffset = b.length;
      for (const item of items) writeValue(b, itemType, item);
      kvLayout.push({ key: entry.key, offset, typeOffset, valueOffset });
    } else {
      const valueOffset = b.length;
      writeValue(b, entry.type, entry.value as KvScalar);
      kvLayout.push({ key: entry.key, offset, typeOffset, valueOffset });
    }
  }
  const tensorLayout: HeaderLayout['tensors'][number][] = [];
  let dataOffset = 0;
  for (const t of tensors) {
    const offset = b.length;
    b.str(t.name);
    const nDimsOffset = b.length;
    b.u32(t.dims.length);
    const dimsOffset = b.length;
    for (const d of t.dims) b.u64(d);
    const typeOffset = b.length;
    b.u32(t.type);
    const dataOffsetField = b.length;
    b.u64(dataOffset);
    const bytes = tensorBytes(t.type, t.dims);
    if (t.data && t.data.length !== bytes) throw new RangeError(`tensor '${t.name}': ${t.data.length} data bytes, expected ${bytes}`);
    tensorLayout.push({ name: t.name, offset, nDimsOffset, dimsOffset, typeOffset, dataOffsetField, dataOffset, bytes });
    dataOffset += Math.ceil(bytes / alignment) * alignment;
  }
  b.pad(alignment);
  const header = Buffer.from(b.bytes());
  return {
    header,
    layout: {
      kvs: kvLayout,
      tensors: tensorLayout,
      tensorCountOffset,
      kvCountOffset,
      dataOffset: header.length,
      fileSize: header.length + dataOffset,
    },
  };
}

/** A whole GGUF file in memory: the header, then every tensor's data at its offset (zeros where a tensor has none). */
export function serializeGguf(
  kvs: readonly GgufKv[],
  tensors: readonly TensorSpec[],
  options: SerializeOptions = {},
): { readonly bytes: Buffer; readonly layout: HeaderLayout } {
  const { header, layout } = serializeHeader(kvs, tensors, options);
  const bytes = Buffer.alloc(layout.fileSize);
  header.copy(bytes);
  tensors.forEach((t, i) => {
    const placed = layout.tensors[i]; // serializeHeader lays out every tensor it was given, in order
    if (t.data && placed) bytes.set(t.data, layout.dataOffset + placed.dataOffset);
  });
  return { bytes, layout };
}

/**
 * Writes a whole GGUF file. Tensors without data are left as a hole: the file gets its full
 * length through ftruncate, so a 40 GB model header costs a few MB of disk.
 */
export async function writeGguf(
  path: string,
  kvs: readonly GgufKv[],
  tensors: readonly TensorSpec[],
  options: SerializeOptions = {},
): Promise<HeaderLayout> {
  const { header, layout } = serializeHeader(kvs, tensors, options);
  const file = await open(path, 'w');
  try {
    await file.write(header, 0, header.length, 0);
    for (const [i, { data }] of tensors.entries()) {
      const placed = layout.tensors[i]!; // serializeHeader lays out every tensor, in order
      if (data) await file.write(data, 0, data.length, layout.dataOffset + placed.dataOffset);
    }
    await file.truncate(layout.fileSize);
  } finally {
    await file.close();
  }
  return layout;
}
