import type { GgufByteReader } from './byteReader';
import { GgufFormatError } from './ggufErrors';
import { TOKEN_LIST_KEY, TOKEN_TYPE_KEY, TokenListCheck } from './tokenList';
import { type FimRole, FimTokenScan } from './fimTokens';
import {
  GgufValueType,
  type GgufValueTypeId,
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
  /** Ids of the vocabulary's tokens spelled like FIM tokens (llama.cpp takes those when no key names them). */
  readonly fimTokensByText: ReadonlyMap<FimRole, number>;
}

/** Strings longer than this are treated as corruption: real chat templates are tens of KiB. */
const MAX_STRING_BYTES = 64 * 1024 * 1024;
/** GGUF_MAX_ARRAY_ELEMENTS in llama.cpp's gguf.cpp. */
const MAX_ARRAY_ITEMS = 1024 * 1024 * 1024;
/**
 * Real headers hold well under 1M strings in arrays (vocabulary plus merges); the cap, over the
 * whole header, keeps corrupt counts over a zero-filled (sparse) region from walking millions of
 * empty strings past the 200 ms budget.
 */
const MAX_STRING_ARRAY_ITEMS = 3 * 1024 * 1024;

/** The largest real vocabularies have about 262k tokens. */
const MAX_KEPT_TOKEN_TYPES = 1 << 20;

export function isArraySummary(value: GgufValue | undefined): value is GgufArraySummary {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'summarized' in value;
}

/** Reads a length and checks it against the file; the bytes are not yet buffered. `what` is built only on error. */
function stringLength(r: GgufByteReader, field: string, what: () => string): number {
  const start = r.pos;
  const length = r.u64Number();
  if (length > r.remaining() || length > MAX_STRING_BYTES) {
    r.pos = start;
    const exact = r.u64();
    const why = length > r.remaining() ? `runs past the end of the file (${r.fileSize} bytes)` : 'is implausibly large';
    throw new GgufFormatError(field, start, `${what()}: string length ${exact} at byte ${start} ${why}`);
  }
  return length;
}

export async function readString(r: GgufByteReader, field: string, what: string): Promise<string> {
  await r.ensure(8, field, what);
  const length = stringLength(r, field, () => what);
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
    case GgufValueType.STRING:
    case GgufValueType.ARRAY:
      throw new Error(`not a fixed-size GGUF type: ${type}`);
  }
}

interface ArrayLimits {
  readonly smallArrayLimit: number;
  /** String items still allowed in this header. */
  stringItemsLeft: number;
}

async function readArray(
  r: GgufByteReader,
  key: string,
  limits: ArrayLimits,
  fimScan: FimTokenScan,
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
  const maxItems = itemSize === undefined ? limits.stringItemsLeft : MAX_ARRAY_ITEMS;
  if (count > BigInt(maxItems) || minBytes > BigInt(r.headerBudget())) {
    throw new GgufFormatError(
      'kv.value',
      lengthOffset,
      `${what}: an array of ${count} ${ggufValueTypeName(itemType)} is larger than any real GGUF array (corrupt length?)`,
    );
  }
  const n = Number(count);
  // Token types are kept for any real vocabulary size: semantics.ts checks them against the tokenizer.
  const keep = n <= limits.smallArrayLimit || (key === TOKEN_TYPE_KEY && n <= MAX_KEPT_TOKEN_TYPES);
  if (itemSize === undefined) limits.stringItemsLeft -= n;
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
  const check = key === TOKEN_LIST_KEY ? new TokenListCheck() : undefined;
  let i = 0;
  const item = (): string => `${what} item ${i}`;
  for (; i < n; i++) {
    if (r.lacks(8)) await r.fill(8, 'kv.value', item());
    const itemOffset = r.pos;
    const length = stringLength(r, 'kv.value', item);
    if (check) {
      if (r.lacks(length)) await r.fill(length, 'kv.value', item());
      const latin1 = r.peekLatin1(length);
      check.add(latin1, i, itemOffset);
      fimScan.add(latin1, i);
    }
    if (keep) {
      if (r.lacks(length)) await r.fill(length, 'kv.value', item());
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
  const limits: ArrayLimits = { smallArrayLimit, stringItemsLeft: MAX_STRING_ARRAY_ITEMS };
  const fimScan = new FimTokenScan();
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
      values.set(key, await readArray(r, key, limits, fimScan));
    } else if (type === GgufValueType.STRING) {
      values.set(key, await readString(r, 'kv.value', `metadata '${key}'`));
    } else {
      const size = ggufValueTypeSize(type) ?? 0;
      await r.ensure(size, 'kv.value', `metadata '${key}'`);
      values.set(key, fixedValue(r, type));
    }
  }
  return { values, types, offsets, fimTokensByText: fimScan.found };
}
