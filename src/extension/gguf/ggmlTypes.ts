// GGML tensor types and GGUF metadata value types, as in llama.cpp's ggml.h / gguf.h.
// Block and type sizes are sizeof(block_*) from ggml-common.h (the values ggml.c's type_traits use).

export interface GgmlTypeInfo {
  readonly id: number;
  /** Upper-case name as llama.cpp prints it in logs and model names, e.g. "Q4_K". */
  readonly name: string;
  /** Elements per block (1 for plain floats and ints). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  readonly quantized: boolean;
}

function t(id: number, name: string, blockSize: number, typeSize: number, quantized = true): GgmlTypeInfo {
  return { id, name, blockSize, typeSize, quantized };
}

const QK_K = 256;

/** Every type a GGUF file may hold. Ids 4, 5, 31-33 and 36-38 were removed from ggml and are rejected. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = [
  t(0, 'F32', 1, 4, false),
  t(1, 'F16', 1, 2, false),
  t(2, 'Q4_0', 32, 18),
  t(3, 'Q4_1', 32, 20),
  t(6, 'Q5_0', 32, 22),
  t(7, 'Q5_1', 32, 24),
  t(8, 'Q8_0', 32, 34),
  t(9, 'Q8_1', 32, 36),
  t(10, 'Q2_K', QK_K, 84),
  t(11, 'Q3_K', QK_K, 110),
  t(12, 'Q4_K', QK_K, 144),
  t(13, 'Q5_K', QK_K, 176),
  t(14, 'Q6_K', QK_K, 210),
  t(15, 'Q8_K', QK_K, 292),
  t(16, 'IQ2_XXS', QK_K, 66),
  t(17, 'IQ2_XS', QK_K, 74),
  t(18, 'IQ3_XXS', QK_K, 98),
  t(19, 'IQ1_S', QK_K, 50),
  t(20, 'IQ4_NL', 32, 18),
  t(21, 'IQ3_S', QK_K, 110),
  t(22, 'IQ2_S', QK_K, 82),
  t(23, 'IQ4_XS', QK_K, 136),
  t(24, 'I8', 1, 1, false),
  t(25, 'I16', 1, 2, false),
  t(26, 'I32', 1, 4, false),
  t(27, 'I64', 1, 8, false),
  t(28, 'F64', 1, 8, false),
  t(29, 'IQ1_M', QK_K, 56),
  t(30, 'BF16', 1, 2, false),
  t(34, 'TQ1_0', QK_K, 54),
  t(35, 'TQ2_0', QK_K, 66),
  t(39, 'MXFP4', 32, 17),
  t(40, 'NVFP4', 64, 36),
  t(41, 'Q1_0', 128, 18),
  t(42, 'Q2_0', 64, 18),
];

/** Named ids for the types code refers to directly. */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ4_NL: 20,
  IQ4_XS: 23,
  BF16: 30,
  MXFP4: 39,
} as const;

const byId = new Map<number, GgmlTypeInfo>(GGML_TYPES.map((info) => [info.id, info]));
const byName = new Map<string, GgmlTypeInfo>(GGML_TYPES.map((info) => [info.name, info]));

export function ggmlTypeInfo(id: number): GgmlTypeInfo | undefined {
  return byId.get(id);
}

/** "Q4_K" for 12; "type 99" for an id this build does not know. */
export function ggmlTypeName(id: number): string {
  return byId.get(id)?.name ?? `type ${id}`;
}

/** Case-insensitive: "q4_k", "Q4_K" -> the Q4_K entry. */
export function ggmlTypeByName(name: string): GgmlTypeInfo | undefined {
  return byName.get(name.toUpperCase());
}

/**
 * Bytes of a tensor's data, exact (BigInt), or a RangeError when the type is unknown or
 * the first dimension is not a whole number of blocks (ggml can't lay out such a row).
 */
export function tensorBytesBig(type: number, dims: readonly (number | bigint)[]): bigint {
  const info = byId.get(type);
  if (!info) throw new RangeError(`unknown ggml type ${type}`);
  let elements = 1n;
  for (const d of dims) {
    const n = BigInt(d);
    if (n < 0n) throw new RangeError(`negative dimension ${n}`);
    elements *= n;
  }
  const row = BigInt(dims[0] ?? 1n);
  const block = BigInt(info.blockSize);
  if (row % block !== 0n) {
    throw new RangeError(`${info.name} rows must be a multiple of ${info.blockSize} elements, got ${row}`);
  }
  return (elements / block) * BigInt(info.typeSize);
}

/** As tensorBytesBig, as a number; a RangeError past Number.MAX_SAFE_INTEGER. */
export function tensorBytes(type: number, dims: readonly (number | bigint)[]): number {
  const bytes = tensorBytesBig(type, dims);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`tensor of ${bytes} bytes is too large`);
  return Number(bytes);
}

/** GGUF metadata value types (gguf.h gguf_type). */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type GgufValueTypeId = (typeof GgufValueType)[keyof typeof GgufValueType];

const valueTypeNames: readonly string[] = [
  'uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64',
];

export function isGgufValueType(id: number): id is GgufValueTypeId {
  return Number.isInteger(id) && id >= 0 && id < valueTypeNames.length;
}

export function ggufValueTypeName(id: number): string {
  return valueTypeNames[id] ?? `type ${id}`;
}

/** Bytes of one value of a fixed-size type; undefined for string and array. */
export function ggufValueTypeSize(id: GgufValueTypeId): number | undefined {
  switch (id) {
    case GgufValueType.UINT8:
    case GgufValueType.INT8:
    case GgufValueType.BOOL:
      return 1;
    case GgufValueType.UINT16:
    case GgufValueType.INT16:
      return 2;
    case GgufValueType.UINT32:
    case GgufValueType.INT32:
    case GgufValueType.FLOAT32:
      return 4;
    case GgufValueType.UINT64:
    case GgufValueType.INT64:
    case GgufValueType.FLOAT64:
      return 8;
    case GgufValueType.STRING:
    case GgufValueType.ARRAY:
      return undefined;
  }
}
