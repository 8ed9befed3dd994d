// Tensor names and shapes as llama.cpp's loaders expect them (src/models/<arch>.cpp load_arch_tensors
// for llama, qwen2, qwen3moe, gemma3, phi3 and deepseek2), the `<arch>.*` metadata (load_arch_hparams),
// and which ggml type each tensor gets.
import { GgmlType } from '../ggmlTypes';
import { headDim, type ModelShape } from './shapes';
import { type GgufKv, kv } from './ggufWriter';

export type TensorRole =
  | 'token_embd' | 'output' | 'norm' | 'rope_freqs' | 'router' | 'bias'
  | 'attn_q' | 'attn_k' | 'attn_v' | 'attn_qkv' | 'attn_output' | 'attn_latent' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

export interface PlannedTensor {
  readonly name: string;
  /** ne[0] first, as ggml and GGUF store them; every tensor has at least ne[0]. */
  readonly dims: readonly [number, ...number[]];
  readonly role: TensorRole;
  readonly layer?: number;
}

type Adder = (n: string, dims: PlannedTensor['dims'], role: TensorRole) => void;

/** attn_q/k/v (optionally with biases) or phi3's fused attn_qkv, and attn_output. */
function attention(s: ModelShape, blk: Adder): void {
  const hd = headDim(s);
  const q = hd * s.nHead;
  const gqa = hd * s.nHeadKv;
  if (s.arch === 'phi3') {
    blk('attn_qkv', [s.nEmbd, q + 2 * gqa], 'attn_qkv');
  } else {
    blk('attn_q', [s.nEmbd, q], 'attn_q');
    blk('attn_k', [s.nEmbd, gqa], 'attn_k');
    blk('attn_v', [s.nEmbd, gqa], 'attn_v');
    if (s.qkvBias) {
      blk('attn_q', [q], 'bias');
      blk('attn_k', [gqa], 'bias');
      blk('attn_v', [gqa], 'bias');
    }
  }
  blk('attn_output', [q, s.nEmbd], 'attn_output');
}

/** deepseek2's MLA projections, split into attn_k_b / attn_v_b as current GGUFs carry them. */
function latentAttention(s: ModelShape, blk: Adder): void {
  const m = s.mla!;
  const qHead = m.nopeDim + m.ropeDim;
  if (m.qLoraRank > 0) {
    blk('attn_q_a_norm', [m.qLoraRank], 'norm');
    blk('attn_q_a', [s.nEmbd, m.qLoraRank], 'attn_latent');
    blk('attn_q_b', [m.qLoraRank, s.nHead * qHead], 'attn_latent');
  } else {
    blk('attn_q', [s.nEmbd, s.nHead * qHead], 'attn_q');
  }
  blk('attn_kv_a_mqa', [s.nEmbd, m.kvLoraRank + m.ropeDim], 'attn_latent');
  blk('attn_kv_a_norm', [m.kvLoraRank], 'norm');
  blk('attn_k_b', [m.nopeDim, m.kvLoraRank, s.nHead], 'attn_latent');
  blk('attn_v_b', [m.kvLoraRank, m.vHeadDim, s.nHead], 'attn_v');
  blk('attn_output', [s.nHead * m.vHeadDim, s.nEmbd], 'attn_output');
}

function feedForward(s: ModelShape, il: number, blk: Adder): void {
  const dense = !s.nExpert || il < (s.denseLeadLayers ?? 0);
  if (dense && s.arch === 'phi3') {
    blk('ffn_up', [s.nEmbd, 2 * s.nFf], 'ffn_up');
    blk('ffn_down', [s.nFf, s.nEmbd], 'ffn_down');
  } else if (dense) {
    blk('ffn_gate', [s.nEmbd, s.nFf], 'ffn_gate');
    blk('ffn_up', [s.nEmbd, s.nFf], 'ffn_up');
    blk('ffn_down', [s.nFf, s.nEmbd], 'ffn_down');
  } else {
    const ff = s.nFfExp ?? s.nFf;
    blk('ffn_gate_inp', [s.nEmbd, s.nExpert], 'router');
    blk('ffn_gate_exps', [s.nEmbd, ff, s.nExpert], 'ffn_gate');
    blk('ffn_up_exps', [s.nEmbd, ff, s.nExpert], 'ffn_up');
    blk('ffn_down_exps', [ff, s.nEmbd, s.nExpert], 'ffn_down');
    if (s.sharedExperts) {
      const shared = ff * s.sharedExperts;
      blk('ffn_gate_shexp', [s.nEmbd, shared], 'ffn_gate');
      blk('ffn_up_shexp', [s.nEmbd, shared], 'ffn_up');
      blk('ffn_down_shexp', [shared, s.nEmbd], 'ffn_down');
    }
  }
}

export function tensorPlan(s: ModelShape): PlannedTensor[] {
  const hd = headDim(s);
  const out: PlannedTensor[] = [{ name: 'token_embd.weight', dims: [s.nEmbd, s.nVocab], role: 'token_embd' }];
  if (s.ropeFreqs) out.push({ name: 'rope_freqs.weight', dims: [hd / 2], role: 'rope_freqs' });
  for (let i = 0; i < s.nLayer; i++) {
    const blk: Adder = (n, dims, role) => {
      out.push({ name: `blk.${i}.${n}.${role === 'bias' ? 'bias' : 'weight'}`, dims, role, layer: i });
    };
    blk('attn_norm', [s.nEmbd], 'norm');
    if (s.mla) latentAttention(s, blk);
    else attention(s, blk);
    if (s.arch === 'qwen3moe' || s.arch === 'gemma3') {
      blk('attn_q_norm', [hd], 'norm');
      blk('attn_k_norm', [hd], 'norm');
    }
    if (s.arch === 'gemma3') blk('post_attention_norm', [s.nEmbd], 'norm');
    blk('ffn_norm', [s.nEmbd], 'norm');
    feedForward(s, i, blk);
    if (s.arch === 'gemma3') blk('post_ffw_norm', [s.nEmbd], 'norm');
  }
  out.push({ name: 'output_norm.weight', dims: [s.nEmbd], role: 'norm' });
  if (!s.tiedEmbeddings) out.push({ name: 'output.weight', dims: [s.nEmbd, s.nVocab], role: 'output' });
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
    kv.u32(`${a}.rope.dimension_count`, s.mla ? s.mla.ropeDim : headDim(s)),
    kv.u32(`${a}.vocab_size`, s.nVocab),
  ];
  if (s.mla) {
    // The cache holds the compressed kv plus the rotary part (key_length); V is its first kv_lora_rank values.
    const m = s.mla;
    kvs.push(
      kv.u32(`${a}.attention.key_length`, m.kvLoraRank + m.ropeDim),
      kv.u32(`${a}.attention.value_length`, m.kvLoraRank),
      kv.u32(`${a}.attention.key_length_mla`, m.nopeDim + m.ropeDim),
      kv.u32(`${a}.attention.value_length_mla`, m.vHeadDim),
      kv.u32(`${a}.attention.kv_lora_rank`, m.kvLoraRank),
      kv.u32(`${a}.leading_dense_block_count`, s.denseLeadLayers ?? 0),
      kv.u32(`${a}.expert_shared_count`, s.sharedExperts ?? 0),
      kv.f32(`${a}.expert_weights_scale`, s.expertWeightsScale ?? 1),
    );
    if (m.qLoraRank > 0) kvs.push(kv.u32(`${a}.attention.q_lora_rank`, m.qLoraRank));
  } else if (s.headDim) {
    kvs.push(kv.u32(`${a}.attention.key_length`, s.headDim), kv.u32(`${a}.attention.value_length`, s.headDim));
  }
  if (s.slidingWindow) kvs.push(kv.u32(`${a}.attention.sliding_window`, s.slidingWindow));
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

/** The mix's type for a tensor whose rows the type's blocks divide. */
function mixType(t: PlannedTensor, quant: SparseQuant, nLayer: number): number {
  if (quant !== 'Q4_K_M') return GgmlType[quant];
  if (t.role === 'output') return GgmlType.Q6_K;
  if ((t.role === 'attn_v' || t.role === 'ffn_down') && useMoreBits(t.layer ?? 0, nLayer)) return GgmlType.Q6_K;
  return GgmlType.Q4_K;
}

/**
 * ggml type of one tensor: norms, biases and the router stay F32, as llama-quant leaves them; a row
 * width the quant's blocks do not divide (deepseek2's 128-wide attn_k_b) falls back to Q8_0, then F16.
 */
export function typeFor(t: PlannedTensor, quant: SparseQuant, nLayer: number): number {
  if (t.role === 'norm' || t.role === 'rope_freqs' || t.role === 'router' || t.role === 'bias') return GgmlType.F32;
  const type = mixType(t, quant, nLayer);
  const block = t.dims[0] % 256 === 0 ? 256 : t.dims[0] % 32 === 0 ? 32 : 1;
  const needs = type === GgmlType.Q4_K || type === GgmlType.Q6_K ? 256 : type === GgmlType.F16 ? 1 : 32;
  if (block >= needs) return type;
  return block >= 32 ? GgmlType.Q8_0 : GgmlType.F16;
}
