// The hyper-parameters beyond a plain transformer's that change llama.cpp's compute graph or KV
// cache for the architectures Headroom models exactly: sliding-window attention (gemma3), multi-head
// latent attention (deepseek2), shared experts and their gating. Read from the `<arch>.*` keys
// llama.cpp's load_arch_hparams reads (src/models/<arch>.cpp).
import type { GgufHeader, GgufValue } from '../gguf/header';

export interface SlidingWindow {
  /** n_swa: tokens a sliding-window layer attends to. */
  readonly window: number;
  /** Every pattern-th layer (pattern-1, 2*pattern-1, ...) is a global one; the rest slide. */
  readonly pattern: number;
}

export interface LatentAttention {
  readonly kvLoraRank: number;
  /** 0 for the "lite" models that project q directly. */
  readonly qLoraRank: number;
  /** Rotary part of each head (rope.dimension_count). */
  readonly ropeDim: number;
  /** Per-head q/k and v widths after decompression (key_length_mla / value_length_mla). */
  readonly headDimK: number;
  readonly headDimV: number;
}

export type ExpertGating = 'softmax' | 'sigmoid';

export interface GraphFacts {
  readonly slidingWindow?: SlidingWindow;
  readonly latentAttention?: LatentAttention;
  /** Leading layers with a dense FFN before the MoE ones (deepseek2). */
  readonly denseLeadLayers: number;
  readonly sharedExperts: number;
  readonly expertGating: ExpertGating;
  readonly expertWeightsNorm: boolean;
  readonly expertWeightsScale: number;
  readonly finalLogitSoftcap: number;
}

function num(value: GgufValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** llama.cpp's defaults per architecture where the file says nothing. */
export function graphFacts(header: GgufHeader): GraphFacts {
  const archValue = header.metadata.get('general.architecture');
  const arch = typeof archValue === 'string' ? archValue : '';
  const key = (k: string): GgufValue | undefined => header.metadata.get(`${arch}.${k}`);
  const window = num(key('attention.sliding_window'));
  // gemma3 defaults its pattern to 6; phi3 files carry a window that llama.cpp ignores (SWA disabled).
  const slidingWindow = arch === 'gemma3' && window !== undefined && window > 0 ? { window, pattern: num(key('attention.sliding_window_pattern')) ?? 6 } : undefined;
  const kvLoraRank = num(key('attention.kv_lora_rank'));
  const headDimKMla = num(key('attention.key_length_mla'));
  const headDimVMla = num(key('attention.value_length_mla'));
  const latentAttention =
    arch === 'deepseek2' && kvLoraRank && headDimKMla && headDimVMla
      ? { kvLoraRank, qLoraRank: num(key('attention.q_lora_rank')) ?? 0, ropeDim: num(key('rope.dimension_count')) ?? 64, headDimK: headDimKMla, headDimV: headDimVMla }
      : undefined;
  const gating = num(key('expert_gating_func'));
  const norm = key('expert_weights_norm');
  return {
    slidingWindow,
    latentAttention,
    denseLeadLayers: num(key('leading_dense_block_count')) ?? 0,
    sharedExperts: num(key('expert_shared_count')) ?? 0,
    expertGating: gating === 2 ? 'sigmoid' : 'softmax',
    // llama and qwen3moe always normalize the selected experts' weights; deepseek2 only when the file says so.
    expertWeightsNorm: arch === 'deepseek2' ? norm === true : true,
    expertWeightsScale: num(key('expert_weights_scale')) ?? 0,
    finalLogitSoftcap: num(key('final_logit_softcapping')) ?? 0,
  };
}

/** Whether layer il of a sliding-window model slides (llama_hparams::set_swa_pattern, dense last). */
export function isSlidingLayer(sw: SlidingWindow | undefined, il: number): boolean {
  return sw !== undefined && (sw.pattern === 0 || il % sw.pattern < sw.pattern - 1);
}
