// Reads and validates a GGUF header (metadata and tensor infos) without reading tensor data,
// so a 40 GB file, or a sparse stub holding only a real header, costs a few MB of reads.
import { type ByteSource, bufferSource, GgufByteReader, openFileSource } from './byteReader';
import { GgufFormatError } from './ggufErrors';
import { describeMagic } from './magic';
import { type GgufMetadata, type GgufValue, readMetadata, readString } from './metadata';
import { ggmlTypeInfo, GgufValueType, type GgufValueTypeId, tensorBytesBig } from './ggmlTypes';
import { checkSemantics } from './semantics';
import type { FimRole } from './fimTokens';

export { GgufFormatError } from './ggufErrors';
export type { GgufArraySummary, GgufScalar, GgufValue } from './metadata';
export { isArraySummary } from './metadata';
export { describeModel } from './describe';
export type { ModelDescription } from './describe';

export interface GgufTensor {
  readonly name: string;
  /** ggml type id; see ggmlTypes.ts for names and sizes. */
  readonly type: number;
  /** ne[0] (the row length) first, as in ggml. */
  readonly dims: readonly number[];
  /** Offset of the data relative to dataOffset, as stored in the file. */
  readonly offset: number;
  readonly bytes: number;
}

export interface GgufHeader {
  readonly version: number;
  readonly metadata: ReadonlyMap<string, GgufValue>;
  readonly metadataTypes: ReadonlyMap<string, GgufValueTypeId>;
  readonly tensors: readonly GgufTensor[];
  /** Absolute file offset where tensor data starts. */
  readonly dataOffset: number;
  readonly alignment: number;
  readonly fileSize: number;
  /** Ids of tokens spelled like FIM tokens; see fimTokens.ts. */
  readonly fimTokensByText: ReadonlyMap<FimRole, number>;
}

export interface GgufReadOptions {
  /** Arrays longer than this are kept as { summarized, itemType, length }. Default 1024. */
  readonly smallArrayLimit?: number;
  /** Default 64 MiB; real headers (250k-token vocabularies with merges) are under 20 MB. */
  readonly maxHeaderBytes?: number;
}

const MAGIC = 'GGUF';
const SUPPORTED_VERSION = 3;
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4;
/** GGML_MAX_NAME is 64 including the terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 63;
/** Smallest possible metadata entry: 1-byte key (8 + 1), type (4), 1-byte value. */
const MIN_KV_BYTES = 14;
/** Smallest possible tensor info: 1-byte name (8 + 1), n_dims (4), type (4), offset (8). */
const MIN_TENSOR_INFO_BYTES = 25;
const INT64_MAX = (1n << 63n) - 1n;

export async function readGgufHeader(path: string, options: GgufReadOptions = {}): Promise<GgufHeader> {
  const source = await openFileSource(path);
  try {
    return await readGgufHeaderFrom(source, options);
  } catch (err) {
    // Where the user sees it (a notification, the CLI), the message names the file, the field and the offset.
    if (err instanceof GgufFormatError) throw new GgufFormatError(err.field, err.offset, `${path}: ${err.message} (field ${err.field}, byte offset ${err.offset})`, { cause: err });
    throw err;
  } finally {
    await source.close();
  }
}

/** For headers already in memory (tests, a prefix fetched over HTTP with the full size known elsewhere). */
export function parseGgufHeader(bytes: Uint8Array, options: GgufReadOptions = {}): Promise<GgufHeader> {
  return readGgufHeaderFrom(bufferSource(bytes), options);
}

export async function readGgufHeaderFrom(source: ByteSource, options: GgufReadOptions = {}): Promise<GgufHeader> {
  const r = new GgufByteReader(source, options.maxHeaderBytes ?? 64 * 1024 * 1024);
  await readMagic(r);
  const version = await readVersion(r);
  const { tensorCount, kvCount } = await readCounts(r);
  const metadata = await readMetadata(r, kvCount, options.smallArrayLimit ?? 1024);
  const { values, types } = metadata;
  const alignment = alignmentOf(metadata);
  const tensors = await readTensorInfos(r, tensorCount, alignment);
  const dataOffset = tensorCount > 0 ? alignUp(r.pos, alignment) : r.pos;
  checkDataInFile(tensors, dataOffset, r.fileSize);
  checkSemantics({ metadata, tensors, dataOffset, alignment });
  return { version, metadata: values, metadataTypes: types, tensors, dataOffset, alignment, fileSize: r.fileSize, fimTokensByText: metadata.fimTokensByText };
}

async function readMagic(r: GgufByteReader): Promise<void> {
  const head = Math.min(r.fileSize, 32);
  if (head > 0) await r.fill(head, 'magic', 'magic');
  const first = r.bytes(head);
  r.pos = 0;
  if (head < 4 || first.toString('latin1', 0, 4) !== MAGIC) {
    throw new GgufFormatError('magic', 0, `not a GGUF file: ${describeMagic(first, r.fileSize)}`);
  }
  r.skip(4);
}

async function readVersion(r: GgufByteReader): Promise<number> {
  await r.ensure(4, 'version', 'version');
  const version = r.u32();
  const why =
    version === 0 ? 'is not a valid version'
    : (version & 0xffff) === 0 ? 'looks byte-swapped (a big-endian GGUF file? llama.cpp reads little-endian ones)'
    : version === 1 ? 'is GGUF v1, which llama.cpp no longer loads: convert the model again'
    : version > SUPPORTED_VERSION ? `is newer than the latest this reader knows (${SUPPORTED_VERSION})`
    : undefined;
  if (why) throw new GgufFormatError('version', 4, `unsupported GGUF version ${version}: it ${why}`);
  return version;
}

async function readCounts(r: GgufByteReader): Promise<{ tensorCount: number; kvCount: number }> {
  await r.ensure(16, 'tensor_count', 'tensor and metadata counts');
  const tensors = r.u64();
  const kvs = r.u64();
  const minBytes = 24n + kvs * BigInt(MIN_KV_BYTES) + tensors * BigInt(MIN_TENSOR_INFO_BYTES);
  if (minBytes > BigInt(r.fileSize)) {
    const field = tensors * BigInt(MIN_TENSOR_INFO_BYTES) > kvs * BigInt(MIN_KV_BYTES) ? 'tensor_count' : 'metadata_kv_count';
    throw new GgufFormatError(
      field,
      field === 'tensor_count' ? 8 : 16,
      `header claims ${tensors} tensors and ${kvs} metadata entries, which need at least ${minBytes} bytes, but the file has ${r.fileSize} bytes`,
    );
  }
  return { tensorCount: Number(tensors), kvCount: Number(kvs) };
}

function alignmentOf({ values, types, offsets }: GgufMetadata): number {
  const key = 'general.alignment';
  if (!types.has(key)) return DEFAULT_ALIGNMENT;
  const value = values.get(key);
  const at = offsets.get(key) ?? 0;
  if (types.get(key) !== GgufValueType.UINT32 || typeof value !== 'number') {
    throw new GgufFormatError(key, at, `metadata '${key}' must be a uint32`);
  }
  if (value === 0 || (value & (value - 1)) !== 0) {
    throw new GgufFormatError(key, at, `metadata '${key}' is ${value}, not a power of two`);
  }
  return value;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

async function readTensorInfos(r: GgufByteReader, count: number, alignment: number): Promise<GgufTensor[]> {
  const tensors: GgufTensor[] = [];
  const seen = new Map<string, number>();
  let expectedOffset = 0n;
  for (let i = 0; i < count; i++) {
    const name = await readTensorName(r, i, seen);
    const label = `tensor ${i} '${name}'`;
    const { dims, dimsOffset } = await readTensorDims(r, label);
    const { type, bytes } = readTensorType(r, label, dims, dimsOffset);
    const { offset, paddedEnd } = readTensorOffset(r, label, alignment, expectedOffset, bytes);
    expectedOffset = paddedEnd;
    tensors.push({ name, type, dims, offset: Number(offset), bytes: Number(bytes) });
  }
  return tensors;
}

/** The name of tensor `index`, which llama.cpp needs short and unique (`seen` maps names to indexes). */
async function readTensorName(r: GgufByteReader, index: number, seen: Map<string, number>): Promise<string> {
  const nameOffset = r.pos;
  const name = await readString(r, 'tensor.name', `tensor ${index} name`);
  const label = `tensor ${index} '${name}'`;
  const nameBytes = Buffer.byteLength(name);
  if (nameBytes > MAX_TENSOR_NAME_BYTES) {
    throw new GgufFormatError('tensor.name', nameOffset, `${label}: name is ${nameBytes} bytes, llama.cpp allows at most ${MAX_TENSOR_NAME_BYTES}`);
  }
  const first = seen.get(name);
  if (first !== undefined) {
    throw new GgufFormatError('tensor.name', nameOffset, `${label}: duplicate tensor name (already tensor ${first})`);
  }
  seen.set(name, index);
  return name;
}

/** n_dims and the dimensions; also makes sure the type and offset that follow them are in the buffer. */
async function readTensorDims(r: GgufByteReader, label: string): Promise<{ dims: number[]; dimsOffset: number }> {
  await r.ensure(4, 'tensor.n_dims', `${label} dimension count`);
  const nDimsOffset = r.pos;
  const nDims = r.u32();
  if (nDims > MAX_DIMS) {
    throw new GgufFormatError('tensor.n_dims', nDimsOffset, `${label}: ${nDims} dimensions, ggml supports at most ${MAX_DIMS}`);
  }
  await r.ensure(8 * nDims + 4 + 8, 'tensor.dims', `${label} shape, type and offset`);
  const dimsOffset = r.pos;
  const dims: number[] = [];
  let elements = 1n;
  for (let j = 0; j < nDims; j++) {
    const d = r.u64();
    if (d === 0n || d > INT64_MAX) {
      throw new GgufFormatError('tensor.dims', dimsOffset + 8 * j, `${label}: dimension ${j} is ${d === 0n ? 0 : `${d} (negative as int64)`}`);
    }
    elements *= d;
    if (elements > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new GgufFormatError('tensor.dims', dimsOffset, `${label}: element count overflows at dimension ${j} (${elements} elements)`);
    }
    dims.push(Number(d));
  }
  return { dims, dimsOffset };
}

/** The ggml type (known, and whose block size divides a row) and the data size it gives these dims. */
function readTensorType(r: GgufByteReader, label: string, dims: readonly number[], dimsOffset: number): { type: number; bytes: bigint } {
  const typeOffset = r.pos;
  const type = r.u32();
  const info = ggmlTypeInfo(type);
  if (!info) {
    throw new GgufFormatError('tensor.type', typeOffset, `${label}: unknown ggml type ${type} (removed from ggml, or newer than this reader)`);
  }
  const row = dims[0] ?? 1;
  if (row % info.blockSize !== 0) {
    throw new GgufFormatError('tensor.dims', dimsOffset, `${label}: a row of ${row} elements is not a multiple of ${info.name}'s block size ${info.blockSize}`);
  }
  return { type, bytes: tensorBytesBig(type, dims) };
}

/**
 * The data offset, which must be where the previous tensor's padded data ends, and where this tensor's
 * padded data ends (the next one's expected offset), which must be inside the file.
 */
function readTensorOffset(r: GgufByteReader, label: string, alignment: number, expectedOffset: bigint, bytes: bigint): { offset: bigint; paddedEnd: bigint } {
  const offsetAt = r.pos;
  const offset = r.u64();
  if (offset % BigInt(alignment) !== 0n) {
    throw new GgufFormatError('tensor.offset', offsetAt, `${label}: data offset ${offset} is not a multiple of the alignment ${alignment}`);
  }
  if (offset !== expectedOffset) {
    throw new GgufFormatError(
      'tensor.offset',
      offsetAt,
      `${label}: data offset ${offset}, but llama.cpp expects ${expectedOffset} (tensors stored in order, each padded to ${alignment} bytes)`,
    );
  }
  const paddedEnd = expectedOffset + (bytes + BigInt(alignment - 1)) / BigInt(alignment) * BigInt(alignment);
  if (paddedEnd > BigInt(r.fileSize)) {
    // Keep numbers safe below: a tensor this large can't be in the file anyway.
    const end = BigInt(r.pos) + offset + bytes;
    throw new GgufFormatError('tensor.data', offsetAt, `${label}: data ends past byte ${end} but the file has ${r.fileSize} bytes (truncated download?)`);
  }
  return { offset, paddedEnd };
}

function checkDataInFile(tensors: readonly GgufTensor[], dataOffset: number, fileSize: number): void {
  tensors.forEach((t, i) => {
    const start = dataOffset + t.offset;
    const end = start + t.bytes;
    if (end > fileSize) {
      throw new GgufFormatError(
        'tensor.data',
        start,
        `tensor ${i} '${t.name}': data ends at byte ${end} but the file has ${fileSize} bytes (truncated download?)`,
      );
    }
  });
}
