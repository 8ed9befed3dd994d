// What discovery, the picker and the verdict need from a GGUF header, in a small JSON-safe shape
// (the header cache stores it), so a 250k-token vocabulary is never kept around.
import type { GgufHeader } from '../gguf/header';
import { modelShape, type ModelShape } from '../memory/modelShape';
import { describeModel } from '../gguf/header';
import type { ModelDescription } from '../gguf/header';
import { ggmlTypeName } from '../gguf/ggmlTypes';

/** A loadable model, or a file that is a GGUF but not one: a vision projector, a vocabulary, a LoRA adapter. */
export type ModelKind = 'model' | 'projector' | 'vocab-only' | 'adapter';

/** Weight bytes laid out the way offloading sees them; enough for a size-based verdict. */
export interface WeightsLayout {
  /** Sum of tensor data bytes. */
  readonly tensorBytes: number;
  /** Bytes of `blk.N.*` tensors, by N; empty when only the total is known (e.g. a catalogue entry). */
  readonly layerBytes: readonly number[];
  /** Bytes outside the repeating blocks (token embeddings, output head). */
  readonly otherBytes: number;
}

export interface ModelSummary extends WeightsLayout {
  readonly kind: ModelKind;
  readonly architecture: string;
  readonly name?: string;
  readonly parameterCount: number;
  /** "Q4_K_M" from general.file_type, else the type holding the most bytes. */
  readonly quant?: string;
  readonly blockCount?: number;
  readonly contextLength?: number;
  readonly expertCount?: number;
  /** split.no (0-based) and split.count of a `-0000N-of-0000M.gguf` shard. */
  readonly split?: { readonly index: number; readonly count: number };
  /** The hyper-parameters a memory planner needs (heads, KV widths, experts...); totals cover every shard. */
  readonly description: ModelDescription;
  /** Tensor-level facts for the memory planner; absent for architectures it cannot plan. */
  readonly shape?: ModelShape;
}

const BLOCK_TENSOR = /^blk\.(\d+)\./;

function num(header: GgufHeader, key: string): number | undefined {
  const v = header.metadata.get(key);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

function str(header: GgufHeader, key: string): string | undefined {
  const v = header.metadata.get(key);
  return typeof v === 'string' ? v : undefined;
}

export function classify(header: GgufHeader): ModelKind {
  const arch = str(header, 'general.architecture');
  const type = str(header, 'general.type');
  if (arch === 'clip' || type === 'mmproj' || type === 'projector') return 'projector';
  if (type === 'adapter' || str(header, 'adapter.type') !== undefined) return 'adapter';
  if (header.tensors.length === 0 && num(header, 'split.count') === undefined) return 'vocab-only';
  return 'model';
}

function dominantType(header: GgufHeader): string | undefined {
  const bytes = new Map<number, number>();
  for (const t of header.tensors) bytes.set(t.type, (bytes.get(t.type) ?? 0) + t.bytes);
  let best: number | undefined;
  for (const [type, b] of bytes) if (best === undefined || b > (bytes.get(best) ?? 0)) best = type;
  return best === undefined ? undefined : ggmlTypeName(best);
}

/** Adds `bytes` to layer `i`, with zeros for the layers before it not seen yet. */
function addLayerBytes(layerBytes: number[], i: number, bytes: number): void {
  while (layerBytes.length < i) layerBytes.push(0);
  layerBytes[i] = (layerBytes[i] ?? 0) + bytes;
}

export function summarizeHeader(header: GgufHeader): ModelSummary {
  const d = describeModel(header);
  const layerBytes: number[] = [];
  let otherBytes = 0;
  for (const t of header.tensors) {
    const m = BLOCK_TENSOR.exec(t.name);
    if (!m) {
      otherBytes += t.bytes;
      continue;
    }
    addLayerBytes(layerBytes, Number(m[1]), t.bytes);
  }
  const splitCount = num(header, 'split.count');
  let shape: ModelShape | undefined;
  try {
    shape = classify(header) === 'model' ? modelShape(header) : undefined;
  } catch {
    // a header the planner cannot read (a shard without hyper-parameters, an unusual architecture)
  }
  return {
    kind: classify(header),
    architecture: d.architecture,
    name: d.name,
    parameterCount: d.parameterCount,
    quant: d.fileTypeName ?? dominantType(header),
    blockCount: d.blockCount,
    contextLength: d.contextLength,
    expertCount: d.expertCount,
    tensorBytes: d.tensorBytes,
    layerBytes,
    otherBytes,
    split: splitCount !== undefined && splitCount > 1 ? { index: num(header, 'split.no') ?? 0, count: splitCount } : undefined,
    description: d,
    shape,
  };
}

/** One summary for a model split over several files: each shard's header lists only its own tensors. */
export function mergeShards(shards: readonly ModelSummary[]): ModelSummary {
  const [first, ...rest] = shards;
  if (!first) throw new RangeError('mergeShards needs at least one shard');
  const layerBytes = [...first.layerBytes];
  let { tensorBytes, otherBytes, parameterCount } = first;
  for (const s of rest) {
    s.layerBytes.forEach((b, i) => addLayerBytes(layerBytes, i, b));
    tensorBytes += s.tensorBytes;
    otherBytes += s.otherBytes;
    parameterCount += s.parameterCount;
  }
  const shape = first.shape && rest.every((r) => r.shape)
    ? { ...first.shape, tensors: shards.flatMap((s) => s.shape?.tensors ?? []), totalBytes: tensorBytes }
    : undefined;
  return { ...first, layerBytes, tensorBytes, otherBytes, parameterCount, split: undefined, description: { ...first.description, parameterCount, tensorBytes }, shape };
}

/** "8.0B", "1.5B", "350M". */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  if (count >= 1e6) return `${Math.round(count / 1e6)}M`;
  return `${Math.round(count / 1e3)}K`;
}
