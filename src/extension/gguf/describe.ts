import type { GgufHeader } from './header';
import type { GgufValue } from './metadata';

/** The hyper-parameters the memory planner needs, read from `<arch>.*` and `general.*` keys. */
export interface ModelDescription {
  readonly architecture: string;
  readonly name?: string;
  readonly blockCount?: number;
  readonly contextLength?: number;
  readonly embeddingLength?: number;
  readonly feedForwardLength?: number;
  /** Largest per-layer value where the file stores one per layer. */
  readonly headCount?: number;
  readonly headCountKv?: number;
  /** Per-head key/value width; llama.cpp defaults both to embeddingLength / headCount. */
  readonly keyLength?: number;
  readonly valueLength?: number;
  readonly expertCount?: number;
  readonly expertUsedCount?: number;
  readonly expertFeedForwardLength?: number;
  readonly vocabSize?: number;
  /** general.file_type (llama_ftype) and its name, e.g. 15 / "Q4_K_M". */
  readonly fileType?: number;
  readonly fileTypeName?: string;
  /** Sum of tensor elements. */
  readonly parameterCount: number;
  /** Sum of tensor data bytes (without alignment padding). */
  readonly tensorBytes: number;
}

const FILE_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 7: 'Q8_0', 8: 'Q5_0', 9: 'Q5_1', 10: 'Q2_K',
  11: 'Q3_K_S', 12: 'Q3_K_M', 13: 'Q3_K_L', 14: 'Q4_K_S', 15: 'Q4_K_M', 16: 'Q5_K_S', 17: 'Q5_K_M',
  18: 'Q6_K', 19: 'IQ2_XXS', 20: 'IQ2_XS', 21: 'Q2_K_S', 22: 'IQ3_XS', 23: 'IQ3_XXS', 24: 'IQ1_S',
  25: 'IQ4_NL', 26: 'IQ3_S', 27: 'IQ3_M', 28: 'IQ2_S', 29: 'IQ2_M', 30: 'IQ4_XS', 31: 'IQ1_M',
  32: 'BF16', 36: 'TQ1_0', 37: 'TQ2_0', 38: 'MXFP4_MOE', 39: 'NVFP4', 40: 'Q1_0', 41: 'Q2_0',
};

export function fileTypeName(fileType: number): string | undefined {
  return FILE_TYPE_NAMES[fileType];
}

/** A number, or the largest number of a per-layer array; undefined otherwise. */
function numberOf(value: GgufValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) {
    const numbers = value.filter((v): v is number => typeof v === 'number');
    return numbers.length > 0 ? Math.max(...numbers) : undefined;
  }
  return undefined;
}

function lengthOf(value: GgufValue | undefined): number | undefined {
  if (Array.isArray(value)) return value.length;
  if (typeof value === 'object' && value !== null && 'summarized' in value) return value.length;
  return undefined;
}

export function describeModel(header: GgufHeader): ModelDescription {
  const meta = header.metadata;
  const archValue = meta.get('general.architecture');
  const architecture = typeof archValue === 'string' ? archValue : 'unknown';
  const arch = (key: string): number | undefined => numberOf(meta.get(`${architecture}.${key}`));
  const nameValue = meta.get('general.name');
  const fileType = numberOf(meta.get('general.file_type'));
  let parameterCount = 0;
  let tensorBytes = 0;
  for (const t of header.tensors) {
    parameterCount += t.dims.reduce((a, b) => a * b, 1);
    tensorBytes += t.bytes;
  }
  return {
    architecture,
    name: typeof nameValue === 'string' ? nameValue : undefined,
    blockCount: arch('block_count'),
    contextLength: arch('context_length'),
    embeddingLength: arch('embedding_length'),
    feedForwardLength: arch('feed_forward_length'),
    headCount: arch('attention.head_count'),
    headCountKv: arch('attention.head_count_kv'),
    keyLength: arch('attention.key_length'),
    valueLength: arch('attention.value_length'),
    expertCount: arch('expert_count'),
    expertUsedCount: arch('expert_used_count'),
    expertFeedForwardLength: arch('expert_feed_forward_length'),
    vocabSize: arch('vocab_size') ?? lengthOf(meta.get('tokenizer.ggml.tokens')),
    fileType,
    fileTypeName: fileType === undefined ? undefined : fileTypeName(fileType),
    parameterCount,
    tensorBytes,
  };
}
