// The facts about a GGUF model that memory planning needs: hyper-parameters, and each tensor's
// bytes with the layer it belongs to (as llama.cpp's loader assigns tensors to devices).
import { describeModel, type GgufHeader } from '../gguf/header';
import { EXPERT_TENSOR, LAYER_TENSOR } from '../gguf/semantics';
import { graphFacts, type GraphFacts } from './graphFacts';

export type TensorPlace = 'input' | 'output' | 'layer' | 'global';

export interface ShapedTensor {
  readonly name: string;
  readonly type: number;
  readonly dims: readonly number[];
  readonly bytes: number;
  readonly place: TensorPlace;
  /** Layer index for place === 'layer'. */
  readonly layer: number;
  /** An MoE expert tensor (what --cpu-moe / --n-cpu-moe keep in RAM). */
  readonly expert: boolean;
  /** Used as a matrix-multiplication weight (so it may be repacked, or copied to a GPU for big batches). */
  readonly matmul: boolean;
}

export interface ModelShape {
  readonly architecture: string;
  readonly name?: string;
  readonly fileTypeName?: string;
  readonly nLayer: number;
  readonly nEmbd: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  readonly headDimK: number;
  readonly headDimV: number;
  readonly nVocab: number;
  readonly nFf: number;
  readonly nExpert: number;
  readonly nExpertUsed: number;
  /** Per-expert FFN width (falls back to nFf, as Mixtral-style files store it). */
  readonly nFfExpert: number;
  readonly nCtxTrain: number;
  readonly tensors: readonly ShapedTensor[];
  /** No output.weight: llama.cpp reuses token_embd for the output projection. */
  readonly tiedOutput: boolean;
  readonly totalBytes: number;
  /** What beyond a plain transformer shapes the compute graph and KV cache (sliding windows, MLA, shared experts). */
  readonly graph?: GraphFacts;
}

export class ModelShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelShapeError';
  }
}

export function modelShape(header: GgufHeader): ModelShape {
  const d = describeModel(header);
  const need = (value: number | undefined, what: string): number => {
    if (value === undefined || !Number.isFinite(value) || value <= 0) {
      throw new ModelShapeError(`${d.architecture} model has no ${what}; cannot plan its memory`);
    }
    return value;
  };
  const nLayer = need(d.blockCount, 'block_count');
  const nEmbd = need(d.embeddingLength, 'embedding_length');
  const nHead = need(d.headCount, 'attention.head_count');
  const nHeadKv = d.headCountKv ?? nHead;
  const headDimK = d.keyLength ?? nEmbd / nHead;
  const headDimV = d.valueLength ?? nEmbd / nHead;
  const outputTensor = header.tensors.find((t) => t.name === 'output.weight');
  const embd = header.tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = d.vocabSize ?? embd?.dims[1] ?? outputTensor?.dims[1];
  const nFf = d.feedForwardLength ?? 0;
  const tensors: ShapedTensor[] = header.tensors.map((t) => {
    const m = LAYER_TENSOR.exec(t.name);
    let place: TensorPlace;
    if (m) place = 'layer';
    else if (t.name.startsWith('token_embd') || t.name.startsWith('token_types') || t.name.startsWith('position_embd')) place = 'input';
    else if (t.name.startsWith('output')) place = 'output';
    else place = 'global';
    const isWeight = t.name.endsWith('.weight') && (t.dims[1] ?? 0) > 1;
    return {
      name: t.name,
      type: t.type,
      dims: t.dims,
      bytes: t.bytes,
      place,
      layer: m ? Number(m[1]) : -1,
      expert: EXPERT_TENSOR.test(t.name),
      matmul: isWeight && place !== 'input',
    };
  });
  return {
    architecture: d.architecture,
    name: d.name,
    fileTypeName: d.fileTypeName,
    nLayer,
    nEmbd,
    nHead,
    nHeadKv,
    headDimK,
    headDimV,
    nVocab: need(nVocab, 'vocabulary size'),
    nFf,
    nExpert: d.expertCount ?? 0,
    nExpertUsed: d.expertUsedCount ?? 0,
    nFfExpert: d.expertFeedForwardLength ?? nFf,
    nCtxTrain: d.contextLength ?? 4096,
    tensors,
    tiedOutput: !outputTensor,
    totalBytes: d.tensorBytes,
    graph: graphFacts(header),
  };
}

export function isMoe(shape: ModelShape): boolean {
  return shape.nExpert > 1 && shape.tensors.some((t) => t.expert);
}
