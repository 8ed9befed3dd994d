// Types of the memory plan: what the user asked for (PlanWishes) and what Headroom chose (Plan).
import type { CpuRepack, KvCacheType } from './estimate';

export type { CpuRepack, KvCacheType } from './estimate';

/**
 * What the user wants. Every field is optional; an explicit value is an override that the planner
 * honours (and warns about when it does not fit), never fights.
 */
export interface PlanWishes {
  /** Tokens; default 8192, clamped to the model's trained context unless given explicitly. */
  contextSize?: number;
  /** The smallest context the planner may fall back to when nothing fits (default 2048); ignored when contextSize is explicit. */
  minContext?: number;
  /** Memory kept free on each GPU, MiB (default 1024). */
  marginMiB?: number;
  /** Memory kept free in RAM, MiB (default 1024). */
  ramMarginMiB?: number;
  /** -ngl: a number of layers (the output layer counts as one: n_layer + 1 is all), or 'auto'. */
  gpuLayers?: number | 'auto';
  cacheTypeK?: 'auto' | KvCacheType;
  cacheTypeV?: 'auto' | KvCacheType;
  flashAttn?: 'auto' | 'on' | 'off';
  /** --n-cpu-moe N (>= n_layer means --cpu-moe), or 'auto'. */
  cpuMoeLayers?: number | 'auto';
  threads?: number | 'auto';
  mmap?: 'auto' | boolean;
  /** -b, default 2048. */
  batch?: number;
  /** -ub, default 512. */
  ubatch?: number;
  /** CPU repack kernels of this CPU; default 'x86'. Only changes how host memory is labelled. */
  cpuRepack?: CpuRepack;
  /** The settings `headroom tune` measured fastest on this machine: used where the wishes above leave a choice open. */
  measured?: MeasuredSettings;
}

/** Settings a tuning run measured fastest for one model on one machine and build (unset: the planner's choice). */
export interface MeasuredSettings {
  threads?: number;
  batch?: number;
  ubatch?: number;
  flashAttn?: boolean;
  cacheType?: KvCacheType;
  /** -ngl, near the fit point on a GPU. */
  gpuLayers?: number;
  cpuMoeLayers?: number;
  /** What was measured, said after "measured fastest": e.g. "12.1 tokens/s generation, llama.cpp's defaults 10.3". */
  summary: string;
}

/** MiB of weights, KV cache and compute buffers on one device or in RAM. */
export interface MemoryParts {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

export interface PlanDevice extends MemoryParts {
  name: string;
  totalMiB: number;
  freeMiB: number;
  /** An RPC worker's host:port; absent for this machine's GPUs. */
  worker?: string;
  /** The memory kept free on this device when it differs from the plan's margin: a worker's free memory less its budget. */
  marginMiB?: number;
}

export type PlanHost = MemoryParts;

/** Headroom's estimate per GPU (in the plan's order) and for RAM. */
export interface PlanEstimate {
  devices: MemoryParts[];
  host: MemoryParts;
}

/**
 * llama.cpp's dry run of a plan, per GPU (in the plan's order) and for RAM, with the margins it is held to: given to
 * the planner, its reasons and warnings quote these numbers instead of the estimate's.
 */
export interface Measurement {
  devices: readonly MemoryParts[];
  host: MemoryParts;
  /** The user's GPU margin (the planner may have been given a wider one to correct its estimate); default 1024. */
  marginMiB?: number;
  /** The user's RAM margin; default 1024. */
  ramMarginMiB?: number;
}

export interface Plan {
  /** 'estimate' from this planner; the dry-run orchestration overwrites numbers and sets 'dry-run'. */
  source: 'estimate' | 'dry-run';
  /** llama-server arguments, without --ctx-size (the caller adds it from contextSize). */
  args: string[];
  devices: PlanDevice[];
  host: PlanHost;
  /** Headroom's estimate of `devices` and `host`, kept beside llama.cpp's measurement once a dry run replaced them. */
  estimate?: PlanEstimate;
  /** Part of host.modelMiB in CPU_REPACK buffers (CPU-only machines). */
  hostRepackMiB: number;
  /** -ngl counting: the output layer is one of `total` (= n_layer + 1). */
  gpuLayers: { onGpu: number; total: number };
  contextSize: number;
  cacheTypeK: KvCacheType;
  cacheTypeV: KvCacheType;
  flashAttn: boolean;
  threads: number;
  mmap: boolean;
  /** Layers whose expert tensors stay in RAM (0 for dense models). */
  cpuMoeLayers: number;
  batch: number;
  ubatch: number;
  /** -ts proportions when there are several GPUs. */
  tensorSplit?: number[];
  fits: boolean;
  /** One plain sentence per choice. */
  reasons: string[];
  warnings: string[];
}

/**
 * What llama.cpp's own fit (`--fit`, printed by llama-fit-params) chose for the same model and arguments,
 * exactly as it printed it: `-c 4096 -ngl 48 [-ts 3,1] [-ot "pattern=CPU,..."]`.
 */
export interface LlamaCppFit {
  contextSize: number;
  gpuLayers: number;
  /** -ts: the share of layers per GPU, when it split them over several. */
  tensorSplit?: number[];
  /** -ot: tensors kept in another buffer, `pattern=BUFFER` each (e.g. MoE experts on the CPU). */
  tensorOverrides?: string[];
  /** The arguments as printed. */
  args: string[];
}
