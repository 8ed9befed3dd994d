// A TypeScript estimate of what llama.cpp (the bundled build, commit 80fb11a) allocates per device
// for a model, context and offload choice: weights, KV cache and compute buffer, in MiB, reported
// the way llama.cpp's memory breakdown (llama-fit-params -lv 4, see llama/dryRun.ts) reports them.
//
// Where each number comes from (llama.cpp source, read for this build):
// - Weights: src/llama-model.cpp load_tensors and llama-model-loader.cpp select_weight_buft. token_embd
//   always stays on the CPU ("input layer"); with -ngl N the LAST N-1 repeating layers and the output
//   layer (index n_layer) go to the GPUs (i_gpu_start = n_layer + 1 - N), split over several GPUs by
//   -ts / free memory (upper_bound over cumulative fractions). --n-cpu-moe N / --cpu-moe override the
//   expert tensors of the first N / all layers to the CPU. Tied embeddings (no output.weight) put a
//   copy of token_embd on the output device. Each tensor takes the first buffer type of its list whose
//   device accepts the op it is used in: a GPU refuses a weight, or the op's input or output, larger
//   than its largest tensor (Vulkan: maxStorageBufferRange, 128 MiB on lavapipe), and such a weight
//   falls through to the host list: the GPU's pinned host buffer (refused for the same reason), then
//   CPU_REPACK when its kernels take the type, then plain CPU memory.
// - CPU repack: weights whose ggml type has a repacked kernel (x86 AVX2: Q4_0, Q4_K, IQ4_NL, MXFP4,
//   and Q2_K with AVX-512; ARM: also Q5_K, Q6_K, Q8_0) and whose row count is a multiple of 8 are
//   loaded into CPU_REPACK buffers (anonymous memory) instead of being mmapped. With a GPU, its pinned
//   host buffer type comes first, so only weights the GPU refuses are repacked. host.modelMiB is
//   Host + CPU_REPACK, as dryRun's `host` sums them; hostRepackMiB is the repacked part (never
//   mmapped, so it needs free RAM).
// - KV cache: src/llama-kv-cache.cpp (and -iswa.cpp). n_ctx is padded to a multiple of 256; per layer
//   K = cells * n_head_kv * head_dim_k and V likewise, in ggml_row_size of the cache type. Sliding-window
//   layers (gemma3) hold pad256(min(n_ctx, n_swa + n_ubatch)) cells; MLA (deepseek2) keeps only the
//   compressed K. Each layer's cache lives on the layer's device.
// - Compute buffers: not a formula but llama.cpp's own procedure, replayed on shapes (memory/graph/):
//   the worst-case graph sched_reserve builds (n_ubatch tokens, n_outputs_max logits rows: every token
//   for llama-fit-params, one per slot for llama-server; the whole cache) is built op for op as
//   src/models/<arch>.cpp builds it, ggml-backend's scheduler assigns each op a backend (weights'
//   device, op offload of big batches to the GPU, GPU expansion, ops a GPU refuses on the CPU) and
//   inserts the copies between splits, the GPU backend's graph_optimize reorders (Vulkan) or keeps
//   tensors alive (CUDA), and ggml-alloc's allocator sizes each backend's buffer. Not modelled:
//   pipeline parallelism (several GPUs, full offload: 4 copies of the inputs), --no-kv-offload's
//   attention on the CPU, Metal's graph_optimize.
import { GgmlType } from '../gguf/ggmlTypes';
import type { GgufHeader } from '../gguf/header';
import { buildArchGraph } from './graph/archGraphs';
import { reserveSizes, type BufferSpec } from './graph/allocator';
import type { Tensor, TensorBuffer } from './graph/ggml';
import { LlmGraphBuilder } from './graph/llmGraph';
import { vulkanReorder } from './graph/vulkanReorder';
import { cudaAllocDeps } from './graph/cudaAllocDeps';
import { CPU_BACKEND, gpuBackend, splitGraph, type SchedBackend, type SplitGraph } from './graph/scheduler';
import { isSlidingLayer, type GraphFacts } from './graphFacts';
import { modelShape, type ModelShape, type ShapedTensor } from './modelShape';

export type KvCacheType = 'f16' | 'q8_0' | 'q4_0';
/** Which CPU_REPACK kernels the CPU has: x86 with AVX2, x86 with AVX-512, ARM with i8mm/dotprod, or none. */
export type CpuRepack = 'x86' | 'x86-avx512' | 'arm' | 'none';

export interface EstimateDevice {
  readonly name: string;
  /** Free memory; the default layer split (no tensorSplit) is proportional to it, as llama.cpp's. */
  readonly freeMiB: number;
  /**
   * The largest tensor the device takes, in bytes (Vulkan: maxStorageBufferRange, 128 MiB on Mesa's
   * lavapipe, 4 GiB on most drivers): larger weights stay in host memory, ops on larger tensors run on
   * the CPU. Default: no limit (CUDA, Metal).
   */
  readonly maxTensorBytes?: number;
  /** The largest buffer ggml allocates at once (Vulkan: 1 GiB); compute buffers are split in such chunks. Default: no limit. */
  readonly maxBufferBytes?: number;
  /** The GPU backend: Vulkan reorders the ops it runs (ggml_vk_graph_optimize), which changes what is alive together. Default 'cuda'. */
  readonly backend?: GpuBackendKind;
}

export type GpuBackendKind = 'cuda' | 'vulkan' | 'metal';

export interface EstimateOptions {
  /** Requested context (tokens); padded to 256 as llama.cpp does. */
  readonly contextSize: number;
  readonly cacheTypeK?: KvCacheType;
  readonly cacheTypeV?: KvCacheType;
  /** Default true: llama.cpp's `-fa auto` resolves to on for CPU and CUDA. A quantized V cache requires it. */
  readonly flashAttn?: boolean;
  /** -b, default 2048. */
  readonly batch?: number;
  /** -ub, default 512. */
  readonly ubatch?: number;
  /** GPUs (empty or absent: CPU only). */
  readonly devices?: readonly EstimateDevice[];
  /** -ngl semantics; default all (n_layer + 1). Without devices everything is on the CPU. */
  readonly gpuLayers?: number;
  /** -ts proportions, one per device. */
  readonly tensorSplit?: readonly number[];
  /** --n-cpu-moe N: expert tensors of layers 0..N-1 stay on the CPU (N >= n_layer is --cpu-moe). */
  readonly cpuMoeLayers?: number;
  /** The CPU's repack kernels (default 'x86', the bundled build's). With GPUs only weights they refuse are repacked. */
  readonly cpuRepack?: CpuRepack;
  /** --no-kv-offload: every layer's cache on the CPU. Default true. */
  readonly kvOffload?: boolean;
  /**
   * Sequences sharing one unified cache (-np with --kv-unified): a sliding-window layer then keeps a
   * window per sequence. Default 1, as llama-fit-params plans; llama-server's "-np auto" is 4, unified.
   */
  readonly sequences?: number;
  /**
   * Logits rows the compute graphs are reserved for (n_outputs_max). Default: every token of a batch, as
   * llama-fit-params reserves; llama-server reserves one per slot (-np; "auto" is 4).
   */
  readonly outputs?: number;
}

export interface ComponentEstimate {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

export interface DeviceEstimate extends ComponentEstimate {
  name: string;
}

/** The settings llama.cpp resolves the options to (context, batches, attention, cache types). */
export interface ResolvedSettings {
  readonly nCtx: number;
  readonly nBatch: number;
  readonly nUbatch: number;
  readonly flashAttn: boolean;
  readonly cacheTypeK: KvCacheType;
  readonly cacheTypeV: KvCacheType;
}

export interface Estimate extends ResolvedSettings {
  readonly devices: DeviceEstimate[];
  /** Host memory: mmapped or RAM-loaded weights plus CPU_REPACK, CPU KV cache, CPU compute buffer. */
  readonly host: ComponentEstimate;
  /** Part of host.modelMiB loaded into CPU_REPACK buffers (anonymous memory, never mmapped). */
  readonly hostRepackMiB: number;
  /** Device index per layer 0..n_layer-1 and the output layer (last entry); -1 is the CPU. */
  readonly layerDevice: readonly number[];
  /** Repeating layers plus the output layer on GPUs, as -ngl counts them. */
  readonly gpuLayers: number;
  /** Weights that a GPU layer would hold but its device refuses (too large): they stay in host memory. */
  readonly refusedTensors: readonly string[];
}

const MiB = 1024 * 1024;

const KV_TYPE_BYTES: Readonly<Record<KvCacheType, { block: number; size: number; ggml: number }>> = {
  f16: { block: 1, size: 2, ggml: GgmlType.F16 },
  q8_0: { block: 32, size: 34, ggml: GgmlType.Q8_0 },
  q4_0: { block: 32, size: 18, ggml: GgmlType.Q4_0 },
};

const REPACK_TYPES: Readonly<Record<CpuRepack, ReadonlySet<number>>> = {
  x86: new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.IQ4_NL, GgmlType.MXFP4]),
  'x86-avx512': new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.IQ4_NL, GgmlType.MXFP4, GgmlType.Q2_K]),
  arm: new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.MXFP4, GgmlType.Q8_0]),
  none: new Set(),
};

/** The batch llama-model-loader's weight_buft_supported tries each weight's op with. */
const PROBE_TOKENS = 512;

/** Bytes of a KV row of `elements` values in a cache type (ggml_row_size). */
export function kvRowBytes(type: KvCacheType, elements: number): number {
  const t = KV_TYPE_BYTES[type];
  return (elements / t.block) * t.size;
}

export function padContext(n: number): number {
  return Math.max(256, Math.ceil(n / 256) * 256);
}

/** Cells of a sliding-window layer's cache (llama_kv_cache_iswa): a window per sequence of a unified cache, plus a batch. */
export function slidingCells(window: number, nCtx: number, nUbatch: number, sequences = 1): number {
  return Math.ceil(Math.min(nCtx, window * sequences + nUbatch) / 256) * 256;
}

/** Which device (index, or -1 for the CPU) llama.cpp puts layer `il` on (il === nLayer is the output layer). */
export function layerDeviceFor(il: number, nLayer: number, gpuLayers: number, splits: readonly number[]): number {
  if (splits.length === 0) return -1;
  const iGpuStart = Math.max(nLayer + 1 - gpuLayers, 0);
  const act = Math.min(gpuLayers, nLayer + 1);
  if (il < iGpuStart || il - iGpuStart >= act) return -1;
  const x = (il - iGpuStart) / act;
  // std::upper_bound: first split point strictly greater than x.
  const idx = splits.findIndex((s) => s > x);
  return idx < 0 ? splits.length - 1 : idx;
}

function cumulativeSplits(devices: readonly EstimateDevice[], tensorSplit?: readonly number[]): number[] {
  const raw = tensorSplit && tensorSplit.some((x) => x > 0) ? devices.map((_, i) => Math.max(0, tensorSplit[i] ?? 0)) : devices.map((d) => Math.max(0, d.freeMiB));
  const sum = raw.reduce((a, b) => a + b, 0);
  let acc = 0;
  return raw.map((x) => {
    acc += x;
    return sum > 0 ? acc / sum : 1;
  });
}

function repackable(t: ShapedTensor, repack: ReadonlySet<number>): boolean {
  // The repack buffer type takes mul_mat weights of 2 dimensions and mul_mat_id experts of 3.
  if (t.dims.length !== (t.expert ? 3 : 2)) return false;
  const rows = t.dims[1] ?? 1;
  const multiple = t.type === GgmlType.Q4_0 || t.type === GgmlType.IQ4_NL || t.type === GgmlType.MXFP4 || t.type === GgmlType.Q8_0 ? 4 : 8;
  // x86 kernels need rows % 8 for every type; ARM's 4x4/4x8 kernels need rows % 4 for the 32-blocks.
  const need = repack.has(GgmlType.Q8_0) ? multiple : 8;
  return t.matmul && repack.has(t.type) && rows % need === 0;
}

/**
 * Whether a device takes a weight: the weight itself, and the input and output of the op
 * weight_buft_supported tries it with (a 512-token batch), must fit the device's largest tensor.
 */
export function deviceTakes(t: ShapedTensor, maxTensorBytes: number | undefined, nExpertUsed: number): boolean {
  if (maxTensorBytes === undefined) return true;
  if (t.bytes > maxTensorBytes) return false;
  const [ne0 = 1, ne1 = 1, ne2 = 1] = t.dims;
  const f32 = 4;
  // get_rows: rows of 512 tokens out; mul_mat / mul_mat_id: 512 tokens (times the experts used) in and out;
  // the element-wise ops (norms, biases): a tensor of the weight's shape.
  if (t.place === 'input') return ne0 * PROBE_TOKENS * f32 <= maxTensorBytes;
  if (!t.matmul) return t.dims.reduce((a, b) => a * b, 1) * f32 <= maxTensorBytes;
  const batch = t.expert ? Math.max(nExpertUsed, 1) * PROBE_TOKENS : PROBE_TOKENS * ne2;
  return Math.max(ne0, ne1) * batch * f32 <= maxTensorBytes;
}

/** The options resolved to what llama.cpp would use, and where each layer goes. */
interface Layout extends ResolvedSettings {
  readonly shape: ModelShape;
  readonly facts: GraphFacts;
  readonly devices: readonly EstimateDevice[];
  readonly gpuLayers: number;
  /** Device per layer 0..n_layer-1, then the output layer; -1 is the CPU. */
  readonly layerDevice: number[];
  readonly outputDevice: number;
  readonly cpuMoe: number;
  readonly repack: ReadonlySet<number>;
  readonly kvOffload: boolean;
  /** Cells of a sliding-window layer's cache. */
  readonly swaCells: number;
  /** Logits rows of the reserve graph. */
  readonly nOutputs: number;
}

/** Where one weight is loaded. */
interface Placement {
  readonly device: number;
  readonly repack: boolean;
}

interface PlacedWeights {
  readonly byName: ReadonlyMap<string, Placement>;
  readonly devices: number[];
  host: number;
  hostRepack: number;
  readonly refused: string[];
}

/** Bytes per device (index) and on the host for one component. */
interface Placed {
  readonly devices: number[];
  host: number;
}

export function estimateMemory(model: GgufHeader | ModelShape, options: EstimateOptions): Estimate {
  const shape = 'nLayer' in model ? model : modelShape(model);
  const layout = resolveLayout(shape, options);
  const weights = placeWeights(layout);
  const context = placeKvCache(layout);
  const compute = computeBuffers(layout, weights.byName);
  const toMiB = (b: number): number => b / MiB;
  return {
    devices: layout.devices.map((d, i) => ({
      name: d.name,
      modelMiB: toMiB(weights.devices[i] ?? 0),
      contextMiB: toMiB(context.devices[i] ?? 0),
      computeMiB: toMiB(compute.devices[i] ?? 0),
    })),
    host: { modelMiB: toMiB(weights.host), contextMiB: toMiB(context.host), computeMiB: toMiB(compute.host) },
    hostRepackMiB: toMiB(weights.hostRepack),
    layerDevice: layout.layerDevice,
    gpuLayers: layout.gpuLayers,
    refusedTensors: weights.refused,
    nCtx: layout.nCtx,
    nBatch: layout.nBatch,
    nUbatch: layout.nUbatch,
    flashAttn: layout.flashAttn,
    cacheTypeK: layout.cacheTypeK,
    cacheTypeV: layout.cacheTypeV,
  };
}

function resolveLayout(shape: ModelShape, options: EstimateOptions): Layout {
  const devices = options.devices ?? [];
  const nLayer = shape.nLayer;
  const cacheTypeK = options.cacheTypeK ?? 'f16';
  const cacheTypeV = options.cacheTypeV ?? 'f16';
  const flashAttn = options.flashAttn ?? true;
  if (cacheTypeV !== 'f16' && !flashAttn) throw new RangeError('a quantized V cache requires flash attention');
  const nCtx = padContext(options.contextSize);
  const nBatch = Math.min(nCtx, options.batch ?? 2048);
  const nUbatch = Math.min(nBatch, options.ubatch ?? 512);
  const gpuLayers = devices.length === 0 ? 0 : Math.max(0, Math.min(options.gpuLayers ?? nLayer + 1, nLayer + 1));
  const splits = devices.length ? cumulativeSplits(devices, options.tensorSplit) : [];
  const layerDevice: number[] = [];
  for (let il = 0; il <= nLayer; il++) layerDevice.push(layerDeviceFor(il, nLayer, gpuLayers, splits));
  const facts = shape.graph ?? PLAIN_TRANSFORMER;
  return {
    shape,
    facts,
    devices,
    nCtx,
    nBatch,
    nUbatch,
    flashAttn,
    cacheTypeK,
    cacheTypeV,
    gpuLayers,
    layerDevice,
    outputDevice: layerDevice[nLayer] ?? -1,
    cpuMoe: Math.max(0, options.cpuMoeLayers ?? 0),
    repack: REPACK_TYPES[options.cpuRepack ?? 'x86'],
    kvOffload: options.kvOffload !== false,
    nOutputs: Math.max(1, Math.min(options.outputs ?? nBatch, nUbatch)),
    swaCells: facts.slidingWindow ? slidingCells(facts.slidingWindow.window, nCtx, nUbatch, Math.max(1, options.sequences ?? 1)) : nCtx,
  };
}

const PLAIN_TRANSFORMER: GraphFacts = {
  denseLeadLayers: 0,
  sharedExperts: 0,
  expertGating: 'softmax',
  expertWeightsNorm: true,
  expertWeightsScale: 0,
  finalLogitSoftcap: 0,
};

/** The device a tensor is meant for before any device refuses it (see the header comment). */
function wantedDevice(t: ShapedTensor, layout: Layout): number {
  if (t.place === 'output') return layout.outputDevice;
  if (t.place === 'layer') {
    const il = Math.min(Math.max(t.layer, 0), layout.shape.nLayer - 1);
    return t.expert && il < layout.cpuMoe ? -1 : (layout.layerDevice[il] ?? -1);
  }
  // token_embd (the input layer) and rope_freqs (tiny; llama.cpp copies it onto each layer's device).
  return -1;
}

/** select_weight_buft: the wanted GPU if it takes the tensor, else the pinned host buffer, CPU_REPACK, CPU. */
function placeTensor(t: ShapedTensor, want: number, layout: Layout): Placement {
  const nUsed = layout.shape.nExpertUsed;
  const wanted = layout.devices[want];
  if (wanted && deviceTakes(t, wanted.maxTensorBytes, nUsed)) return { device: want, repack: false };
  // The host buffer type of the first GPU comes first in the CPU list; with mmap it becomes plain CPU memory.
  const first = layout.devices[0];
  if (first && deviceTakes(t, first.maxTensorBytes, nUsed)) return { device: -1, repack: false };
  return { device: -1, repack: repackable(t, layout.repack) };
}

/** Weights per device, following load_tensors (see the header comment). */
function placeWeights(layout: Layout): PlacedWeights {
  const { shape, outputDevice } = layout;
  const byName = new Map<string, Placement>();
  const placed: PlacedWeights = { byName, devices: new Array<number>(layout.devices.length).fill(0), host: 0, hostRepack: 0, refused: [] };
  const place = (t: ShapedTensor, want: number): void => {
    const p = placeTensor(t, want, layout);
    byName.set(t.name, p);
    if (want >= 0 && p.device < 0) placed.refused.push(t.name);
    if (p.device >= 0) {
      placed.devices[p.device] = (placed.devices[p.device] ?? 0) + t.bytes;
      return;
    }
    placed.host += t.bytes;
    if (p.repack) placed.hostRepack += t.bytes;
  };
  for (const t of shape.tensors) place(t, wantedDevice(t, layout));
  const embd = shape.tensors.find((t) => t.name === 'token_embd.weight');
  if (shape.tiedOutput && embd) {
    // TENSOR_DUPLICATED: the output projection reuses token_embd. It is the same tensor when it lands in
    // the same buffer type (plain host memory); on a GPU or in CPU_REPACK it is a second copy.
    const output: ShapedTensor = { ...embd, name: 'output.weight', place: 'output', matmul: true };
    const p = placeTensor(output, outputDevice, layout);
    if (p.device >= 0 || p.repack) place(output, outputDevice);
    else byName.set(output.name, p);
  }
  return placed;
}

/** Cells, and K and V bytes per cell, of layer il's cache. */
function kvLayer(layout: Layout, il: number): { cells: number; k: number; v: number } {
  const { shape, facts } = layout;
  const cells = isSlidingLayer(facts.slidingWindow, il) ? layout.swaCells : layout.nCtx;
  const k = kvRowBytes(layout.cacheTypeK, shape.nHeadKv * shape.headDimK);
  const v = facts.latentAttention ? 0 : kvRowBytes(layout.cacheTypeV, shape.nHeadKv * shape.headDimV);
  return { cells, k, v };
}

/** Each layer's K and V cache on the layer's device (all on the CPU with --no-kv-offload). */
function placeKvCache(layout: Layout): Placed {
  const placed: Placed = { devices: new Array<number>(layout.devices.length).fill(0), host: 0 };
  for (let il = 0; il < layout.shape.nLayer; il++) {
    const { cells, k, v } = kvLayer(layout, il);
    const bytes = cells * (k + v);
    const d = layout.kvOffload ? (layout.layerDevice[il] ?? -1) : -1;
    if (d >= 0) placed.devices[d] = (placed.devices[d] ?? 0) + bytes;
    else placed.host += bytes;
  }
  return placed;
}

const computeCache = new WeakMap<ModelShape, Map<string, Placed>>();

/** Compute buffers: llama.cpp's reserve graph, scheduled and allocated (see the header comment). */
function computeBuffers(layout: Layout, weights: ReadonlyMap<string, Placement>): Placed {
  const key = JSON.stringify([
    layout.nCtx, layout.swaCells, layout.nUbatch, layout.nOutputs, layout.flashAttn, layout.cacheTypeK, layout.cacheTypeV, layout.kvOffload,
    layout.devices.map((d) => [d.maxTensorBytes, d.maxBufferBytes, d.backend]),
    [...weights.values()].map((p) => p.device * 2 + (p.repack ? 1 : 0)).join(''),
    layout.layerDevice.join(','),
  ]);
  let cache = computeCache.get(layout.shape);
  if (!cache) {
    cache = new Map();
    computeCache.set(layout.shape, cache);
  }
  const hit = cache.get(key);
  if (hit) return { devices: [...hit.devices], host: hit.host };
  const result = simulateCompute(layout, weights);
  cache.set(key, result);
  return { devices: [...result.devices], host: result.host };
}

/** What a GPU backend's graph_optimize does to the scheduler's graph (Metal's is not modelled). */
function graphOptimize(backend: GpuBackendKind | undefined): Pick<SchedBackend, 'optimize' | 'allocDeps'> {
  if (backend === 'vulkan') return { optimize: vulkanReorder };
  if (backend === 'metal') return {};
  return { allocDeps: cudaAllocDeps };
}

/** The scheduled reserve graph of an estimate (for diagnostics: which op runs where, what is copied). */
export function computeSchedule(model: GgufHeader | ModelShape, options: EstimateOptions): SplitGraph & { sizes: number[] } {
  const shape = 'nLayer' in model ? model : modelShape(model);
  const layout = resolveLayout(shape, options);
  return scheduleCompute(layout, placeWeights(layout).byName);
}

function simulateCompute(layout: Layout, weights: ReadonlyMap<string, Placement>): Placed {
  const { sizes } = scheduleCompute(layout, weights);
  const cpu = layout.devices.length;
  return { devices: sizes.slice(0, cpu), host: sizes[cpu] ?? 0 };
}

function scheduleCompute(layout: Layout, weights: ReadonlyMap<string, Placement>): SplitGraph & { sizes: number[] } {
  const { shape, devices } = layout;
  const backends: SchedBackend[] = [...devices.map((d, i) => gpuBackend(i, d.maxTensorBytes ?? Infinity, graphOptimize(d.backend))), CPU_BACKEND];
  const cpu = backends.length - 1;
  const pinned = new Map<Tensor, number>();
  const fullOffload = layout.gpuLayers > shape.nLayer;
  const weightBuffer = (name: string): TensorBuffer | undefined => {
    const layer = /^blk\.(\d+)\.rope_freqs/.exec(name);
    if (layer) return { device: layout.layerDevice[Number(layer[1])] ?? -1, weights: true, repack: false };
    const p = weights.get(name);
    return p ? { device: p.device, weights: true, repack: p.repack } : undefined;
  };
  const builder = new LlmGraphBuilder(shape, layout.facts, {
    nTokens: layout.nUbatch,
    nOutputs: layout.nOutputs,
    nKv: layout.nCtx,
    nKvSwa: layout.swaCells,
    flashAttn: layout.flashAttn,
    typeK: KV_TYPE_BYTES[layout.cacheTypeK].ggml,
    typeV: KV_TYPE_BYTES[layout.cacheTypeV].ggml,
    kvDevice: (il) => (layout.kvOffload ? (layout.layerDevice[il] ?? -1) : -1),
    weightBuffer,
    onNorm: (t, il) => {
      // graph_get_cb: with full offload (or tiny batches) a layer's norms stay on the layer's device.
      if (!fullOffload && layout.nUbatch >= 32) return;
      const d = layout.layerDevice[il] ?? -1;
      const b = d >= 0 ? d : cpu;
      if (backends[b]!.supportsOp(t)) pinned.set(t, b);
    },
  });
  buildArchGraph(shape.architecture, builder, shape.nLayer);
  const split = splitGraph(builder.graph.nodes, builder.graph.leafs, backends, pinned);
  const hostChunk = devices[0]?.maxBufferBytes ?? Infinity;
  const specs: BufferSpec[] = [...devices.map((d) => ({ alignment: 64, maxChunk: d.maxBufferBytes ?? Infinity })), { alignment: 32, maxChunk: hostChunk }];
  return { ...split, sizes: reserveSizes(split.nodes, split.leafs, split.nodeBackend, split.leafBackend, specs, split.idLimit) };
}

export function totalMiB(c: ComponentEstimate): number {
  return c.modelMiB + c.contextMiB + c.computeMiB;
}

/** Block size check llama.cpp makes: a quantized K/V type must divide the head width. */
export function kvTypeFits(shape: ModelShape, type: KvCacheType): boolean {
  const block = KV_TYPE_BYTES[type].block;
  return shape.headDimK % block === 0 && shape.headDimV % block === 0;
}
