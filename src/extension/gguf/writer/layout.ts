// Tensor names and shapes as llama.cpp's loaders expect them (src/models/llama.cpp,
// src/models/qwen3moe.cpp), the `<arch>.*` metadata, and which ggml type each tensor gets.
import { GgmlType } from '../ggmlTypes';
import { headDim, type ModelShape } from './shapes';
import { type GgufKv, kv } from './ggufWriter';

export type TensorRole =
  | 'token_embd' | 'output' | 'norm' | 'rope_freqs' | 'router'
  | 'attn_q' | 'attn_k' | 'attn_v' | 'attn_output' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

export interface PlannedTensor {
  readonly name: string;
  /** ne[0] first, as ggml and GGUF store them; every tensor has at least ne[0]. */
  readonly dims: readonly [number, ...number[]];
  readonly role: TensorRole;
  readonly layer?: number;
}

export function tensorPlan(s: ModelShape): PlannedTensor[] {
  const hd = headDim(s);
  const out: PlannedTensor[] = [{ name: 'token_embd.weight', dims: [s.nEmbd, s.nVocab], role: 'token_embd' }];
  if (s.ropeFreqs) out.push({ name: 'rope_freqs.weight', dims: [hd / 2], role: 'rope_freqs' });
  for (let i = 0; i < s.nLayer; i++) {
    const blk = (n: string, dims: PlannedTensor['dims'], role: TensorRole): void => {
      out.push({ name: `blk.${i}.${n}.weight`, dims, role, layer: i });
    };
    blk('attn_norm', [s.nEmbd], 'norm');
    blk('attn_q', [s.nEmbd, hd * s.nHead], 'attn_q');
    blk('attn_k', [s.nEmbd, hd * s.nHeadKv], 'attn_k');
    blk('attn_v', [s.nEmbd, hd * s.nHeadKv], 'attn_v');
    blk('attn_output', [hd * s.nHead, s.nEmbd], 'attn_output');
    if (s.arch === 'qwen3moe') {
      blk('attn_q_norm', [hd], 'norm');
      blk('attn_k_norm', [hd], 'norm');
    }
    blk('ffn_norm', [s.nEmbd], 'norm');
    if (s.nExpert) {
      const ff = s.nFfExp ?? s.nFf;
      blk('ffn_gate_inp', [s.nEmbd, s.nExpert], 'router');
      blk('ffn_gate_exps', [s.nEmbd, ff, s.nExpert], 'ffn_gate');
      blk('ffn_up_exps', [s.nEmbd, ff, s.nExpert], 'ffn_up');
      blk('ffn_down_exps', [ff, s.nEmbd, s.nExpert], 'ffn_down');
    } else {
      blk('ffn_gate', [s.nEmbd, s.nFf], 'ffn_gate');
      blk('ffn_up', [s.nEmbd, s.nFf], 'ffn_up');
      blk('ffn_down', [s.nFf, s.nEmbd], 'ffn_down');
    }
  }
  out.push({ name: 'output_norm.weight', dims: [s.nEmbd], role: 'norm' });
  out.push({ name: 'output.weight', dims: [s.nEmbd, s.nVocab], role: 'output' });
  return out;
}

export function archKvs(s: ModelShape, fileType: number): GgufKv[] {
  const a = s.arch;
  const kvs: GgufKv[] = [
    kv.str('general.architecture', a),
    kv.str('general.type', 'model'),
    kv.str('general.name', s.name),
    kv.u32('general.file_type', fileType),
    kv.u32('general.quantization_version', 2),
    kv.u32(`${a}.block_count`, s.nLayer),
    kv.u32(`${a}.context_length`, s.nCtx),
    kv.u32(`${a}.embedding_length`, s.nEmbd),
    kv.u32(`${a}.feed_forward_length`, s.nFf),
    kv.u32(`${a}.attention.head_count`, s.nHead),
    kv.u32(`${a}.attention.head_count_kv`, s.nHeadKv),
    kv.f32(`${a}.rope.freq_base`, s.ropeFreqBase),
    kv.f32(`${a}.attention.layer_norm_rms_epsilon`, s.rmsEps),
    kv.u32(`${a}.rope.dimension_count`, headDim(s)),
    kv.u32(`${a}.vocab_size`, s.nVocab),
  ];
  if (s.headDim) kvs.push(kv.u32(`${a}.attention.key_length`, s.headDim), kv.u32(`${a}.attention.value_length`, s.headDim));
  if (s.nExpert) kvs.push(kv.u32(`${a}.expert_count`, s.nExpert), kv.u32(`${a}.expert_used_count`, s.nExpertUsed ?? 2));
  if (s.nFfExp) kvs.push(kv.u32(`${a}.expert_feed_forward_length`, s.nFfExp));
  return kvs;
}

/** Quantizations a sparse stub can claim; Q4_K_M mimics llama-quant's mix. */
export type SparseQuant = 'Q4_K_M' | 'Q4_K' | 'Q6_K' | 'Q8_0' | 'Q4_0' | 'F16';

/** general.file_type (llama_ftype) for each mix. */
export const FILE_TYPES: Readonly<Record<SparseQuant | 'F32', number>> = {
  F32: 0, F16: 1, Q4_0: 2, Q8_0: 7, Q4_K: 14, Q4_K_M: 15, Q6_K: 18,
};

/** llama-quant's use_more_bits: the first and last eighth of the layers, and every third between. */
function useMoreBits(layer: number, nLayer: number): boolean {
  const eighth = Math.trunc(nLayer / 8);
  return layer < eighth || layer >= Math.trunc((7 * nLayer) / 8) || (layer - eighth) % 3 === 2;
}

/** ggml type of one tensor: norms and the router stay F32, as llama-quant leaves them. */
export function typeFor(t: PlannedTensor, quant: SparseQuant, nLayer: number): number {
  if (t.role === 'norm' || t.role === 'rope_freqs' || t.role === 'router') return GgmlType.F32;
  if (quant !== 'Q4_K_M') return GgmlType[quant];
  if (t.role === 'output') return GgmlType.Q6_K;
  if ((t.role === 'attn_v' || t.role === 'ffn_down') && useMoreBits(t.layer ?? 0, nLayer)) return GgmlType.Q6_K;
  return GgmlType.Q4_K;
}
