import { GgufByteReader } from './ggufByteReader';
import { GgufFormatError } from './ggufErrors';
import {
  GgufValueType,
  GgufValueTypeId,
  ggufValueTypeName,
  ggufValueTypeSize,
  isGgufValueType,
} from './ggmlTypes';

/** 64-bit integers come back as numbers when they are safe integers, as bigints otherwise. */
export type GgufScalar = number | bigint | boolean | string;

/** An array too long to keep (e.g. tokenizer.ggml.tokens): its item type and length only. */
export interface GgufArraySummary {
  readonly summarized: true;
  readonly itemType: GgufValueTypeId;
  readonly length: number;
}

export type GgufValue = GgufScalar | readonly GgufScalar[] | GgufArraySummary;

export interface GgufMetadata {
  readonly values: Map<string, GgufValue>;
  /** The stored type of each key (ARRAY for arrays). */
  readonly types: Map<string, GgufValueTypeId>;
  /** File offset of each key's entry, for error messages. */
  readonly offsets: Map<string, number>;
}

/** Strings longer than this are treated as corruption: real chat templates are tens of KiB. */
const MAX_STRING_BYTES = 64 * 1024 * 1024;

export function isArraySummary(value: GgufValue | undefined): value is GgufArraySummary {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'summarized' in value;
}

/** Reads a length, checks it against the file, and returns it; the bytes are not yet buffered. */
function stringLength(r: GgufByteReader, field: string, what: string): number {
  const start = r.pos;
  const length = r.u64();
  if (length > BigInt(r.remaining())) {
    throw new GgufFormatError(
      field,
      start,
      `${what}: string length ${length} at byte ${start} runs past the end of the file (${r.fileSize} bytes)`,
    );
  }
  if (length > BigInt(MAX_STRING_BYTES)) {
    throw new GgufFormatError(field, start, `${what}: string length ${length} at byte ${start} is implausibly large`);
  }
  return Number(length);
}

export async function readString(r: GgufByteReader, field: string, what: string): Promise<string> {
  await r.ensure(8, field, what);
  const length = stringLength(r, field, what);
  await r.ensure(length, field, what);
  return r.text(length);
}

function int64(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** One fixed-size value; its bytes must already be buffered. */
function fixedValue(r: GgufByteReader, type: GgufValueTypeId): GgufScalar {
  switch (type) {
    case GgufValueType.UINT8: return r.u8();
    case GgufValueType.INT8: return r.i8();
    case GgufValueType.UINT16: return r.u16();
    case GgufValueType.INT16: return r.i16();
    case GgufValueType.UINT32: return r.u32();
    case GgufValueType.INT32: return r.i32();
    case GgufValueType.FLOAT32: return r.f32();
    case GgufValueType.BOOL: return r.u8() !== 0;
    case GgufValueType.UINT64: return int64(r.u64());
    case GgufValueType.INT64: return int64(r.i64());
    case GgufValueType.FLOAT64: return r.f64();
    default: throw new Error(`not a fixed-size GGUF type: ${type}`);
  }
}

async function readArray(
  r: GgufByteReader,
  key: string,
  smallArrayLimit: number,
): Promise<readonly GgufScalar[] | GgufArraySummary> {
  const what = `metadata '${key}'`;
  await r.ensure(12, 'kv.type', what);
  const typeOffset = r.pos;
  const itemType = r.u32();
  if (itemType === GgufValueType.ARRAY) {
    throw new GgufFormatError('kv.type', typeOffset, `${what}: arrays of arrays are not allowed in GGUF (nested array)`);
  }
  if (!isGgufValueType(itemType)) {
    throw new GgufFormatError('kv.type', typeOffset, `${what}: unknown array item type ${itemType} (valid: 0-12)`);
  }
  const lengthOffset = r.pos;
  const count = r.u64();
  const itemSize = ggufValueTypeSize(itemType);
  // A string item needs at least its 8-byte length.
  const minBytes = count * BigInt(itemSize ?? 8);
  if (minBytes > BigInt(r.remaining())) {
    throw new GgufFormatError(
      'kv.value',
      lengthOffset,
      `${what}: an array of ${count} ${ggufValueTypeName(itemType)} needs at least ${minBytes} bytes but only ${r.remaining()} remain in the file`,
    );
  }
  const n = Number(count);
  const keep = n <= smallArrayLimit;
  if (itemSize !== undefined) {
    if (!keep) {
      r.skip(n * itemSize);
      return { summarized: true, itemType, length: n };
    }
    await r.ensure(n * itemSize, 'kv.value', what);
    const values: GgufScalar[] = [];
    for (let i = 0; i < n; i++) values.push(fixedValue(r, itemType));
    return values;
  }
  const values: string[] = [];
  for (let i = 0; i < n; i++) {
    if (r.lacks(8)) await r.fill(8, 'kv.value', `${what} item ${i}`);
    const length = stringLength(r, 'kv.value', `${what} item ${i}`);
    if (keep) {
      if (r.lacks(length)) await r.fill(length, 'kv.value', `${what} item ${i}`);
      values.push(r.text(length));
    } else {
      r.skip(length);
    }
  }
  return keep ? values : { summarized: true, itemType, length: n };
}

export async function readMetadata(r: GgufByteReader, count: number, smallArrayLimit: number): Promise<GgufMetadata> {
  const values = new Map<string, GgufValue>();
  const types = new Map<string, GgufValueTypeId>();
  const offsets = new Map<string, number>();
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const keyOffset = r.pos;
    const key = await readString(r, 'kv.key', `metadata entry ${i} key`);
    if (key.length === 0) throw new GgufFormatError('kv.key', keyOffset, `metadata entry ${i}: empty key`);
    const first = index.get(key);
    if (first !== undefined) {
      throw new GgufFormatError('kv.key', keyOffset, `metadata entry ${i}: duplicate key '${key}' (already entry ${first})`);
    }
    index.set(key, i);
    offsets.set(key, keyOffset);
    await r.ensure(4, 'kv.type', `metadata '${key}' type`);
    const typeOffset = r.pos;
    const type = r.u32();
    if (!isGgufValueType(type)) {
      throw new GgufFormatError('kv.type', typeOffset, `metadata '${key}': unknown value type ${type} (valid: 0-12)`);
    }
    types.set(key, type);
    if (type === GgufValueType.ARRAY) {
      values.set(key, await readArray(r, key, smallArrayLimit));
    } else if (type === GgufValueType.STRING) {
      values.set(key, await readString(r, 'kv.value', `metadata '${key}'`));
    } else {
      const size = ggufValueTypeSize(type) ?? 0;
      await r.ensure(size, 'kv.value', `metadata '${key}'`);
      values.set(key, fixedValue(r, type));
    }
  }
  return { values, types, offsets };
}
