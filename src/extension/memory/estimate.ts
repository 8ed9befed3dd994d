// A TypeScript estimate of what llama.cpp (the bundled build, commit 80fb11a) allocates per device
// for a model, context and offload choice: weights, KV cache and compute buffer, in MiB, reported
// the way llama.cpp's memory breakdown (llama-fit-params -lv 4, see llama/dryRun.ts) reports them.
//
// Where each number comes from (llama.cpp source, read for this build):
// - Weights: src/llama-model.cpp load_tensors. token_embd always stays on the CPU ("input layer");
//   with -ngl N the LAST N-1 repeating layers and the output layer (index n_layer) go to the GPUs
//   (i_gpu_start = n_layer + 1 - N), split over several GPUs by -ts / free memory (upper_bound over
//   cumulative fractions). --n-cpu-moe N / --cpu-moe override the expert tensors of the first N / all
//   layers to the CPU. Tied embeddings (no output.weight) put a copy of token_embd on the output device.
// - CPU repack: on a CPU-only machine, weights whose ggml type has a repacked kernel (x86 AVX2:
//   Q4_0, Q4_K, IQ4_NL, MXFP4, and Q2_K with AVX-512; ARM: also Q5_K, Q6_K, Q8_0) and whose row count
//   is a multiple of 8 are loaded into CPU_REPACK buffers (anonymous memory) instead of being mmapped.
//   On a machine with a GPU the pinned host buffer type comes first, so CPU weights are not repacked.
//   The estimate's host.modelMiB is Host + CPU_REPACK, exactly as dryRun's `host` sums them;
//   hostRepackMiB says how much of it is repacked (it is never mmapped, so it needs free RAM).
// - KV cache: src/llama-kv-cache.cpp. n_ctx is padded to a multiple of 256 (llama-context.cpp);
//   per layer K = n_ctx * n_head_kv * head_dim_k and V likewise, in ggml_row_size of the cache type
//   (f16: 2 bytes; q8_0: 34 bytes per 32; q4_0: 18 bytes per 32). Each layer's cache lives on the
//   layer's device. Sliding-window caches (iSWA) are not modelled: the estimate is high for them.
// - Compute buffer: the peak of ggml-alloc over the reserved graph (n_ubatch tokens, n_ubatch
//   outputs). Calibrated on dry runs of real-shaped models; the buffer is the largest of
//     logits:     n_ubatch * (n_vocab + 2 n_embd) * 4 (2.5 n_embd with a quantized cache)
//     attention:  flash:  n_ubatch * (2 q + 3 n_embd + k_gqa + v_gqa) * 4 + mask f16 (n_kv * n_ubatch * 2)
//                 no FA:  n_kv * n_ubatch * (n_head + 1) * 4 (KQ and an f32 mask) + the same activations
//     FFN:        n_ubatch * (3 ff + 4 n_embd) * 4 + mask, ff = n_ff (dense) or n_ff_exp * n_expert_used (MoE)
//   With GPUs each device holds the peaks of the parts it computes (the output device holds logits).
//   Approximate, not measurable without a GPU: with weights left on the CPU, llama.cpp copies them
//   to the first GPU for big batches (op offload), so GPU 0's compute buffer gets the largest such
//   weight added; the host compute buffer of a fully offloaded model is taken as the embedding
//   output plus an f32 mask.
import { GgmlType } from '../gguf/ggmlTypes';
import type { GgufHeader } from '../gguf/header';
import { modelShape, type ModelShape, type ShapedTensor } from './modelShape';

export type KvCacheType = 'f16' | 'q8_0' | 'q4_0';
/** Which CPU_REPACK kernels the CPU has: x86 with AVX2, x86 with AVX-512, ARM with i8mm/dotprod, or none. */
export type CpuRepack = 'x86' | 'x86-avx512' | 'arm' | 'none';

export interface EstimateDevice {
  readonly name: string;
  /** Free memory; the default layer split (no tensorSplit) is proportional to it, as llama.cpp's. */
  readonly freeMiB: number;
}

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
  /** Default: 'x86' on a CPU-only machine (the bundled build's), ignored when there are devices. */
  readonly cpuRepack?: CpuRepack;
  /** --no-kv-offload: every layer's cache on the CPU. Default true. */
  readonly kvOffload?: boolean;
}

export interface ComponentEstimate {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

export interface DeviceEstimate extends ComponentEstimate {
  name: string;
}

export interface Estimate {
  readonly devices: DeviceEstimate[];
  /** Host memory: mmapped or RAM-loaded weights plus CPU_REPACK, CPU KV cache, CPU compute buffer. */
  readonly host: ComponentEstimate;
  /** Part of host.modelMiB loaded into CPU_REPACK buffers (anonymous memory, never mmapped). */
  readonly hostRepackMiB: number;
  /** Device index per layer 0..n_layer-1 and the output layer (last entry); -1 is the CPU. */
  readonly layerDevice: readonly number[];
  /** Repeating layers plus the output layer on GPUs, as -ngl counts them. */
  readonly gpuLayers: number;
  readonly nCtx: number;
  readonly nBatch: number;
  readonly nUbatch: number;
  readonly flashAttn: boolean;
  readonly cacheTypeK: KvCacheType;
  readonly cacheTypeV: KvCacheType;
}

const MiB = 1024 * 1024;

const KV_TYPE_BYTES: Readonly<Record<KvCacheType, { block: number; size: number }>> = {
  f16: { block: 1, size: 2 },
  q8_0: { block: 32, size: 34 },
  q4_0: { block: 32, size: 18 },
};

const REPACK_TYPES: Readonly<Record<CpuRepack, ReadonlySet<number>>> = {
  x86: new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.IQ4_NL, GgmlType.MXFP4]),
  'x86-avx512': new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.IQ4_NL, GgmlType.MXFP4, GgmlType.Q2_K]),
  arm: new Set([GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.MXFP4, GgmlType.Q8_0]),
  none: new Set(),
};

/** Bytes of a KV row of `elements` values in a cache type (ggml_row_size). */
export function kvRowBytes(type: KvCacheType, elements: number): number {
  const t = KV_TYPE_BYTES[type];
  return (elements / t.block) * t.size;
}

export function padContext(n: number): number {
  return Math.max(256, Math.ceil(n / 256) * 256);
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
  const rows = t.dims[1] ?? 1;
  const multiple = t.type === GgmlType.Q4_0 || t.type === GgmlType.IQ4_NL || t.type === GgmlType.MXFP4 || t.type === GgmlType.Q8_0 ? 4 : 8;
  // x86 kernels need rows % 8 for every type; ARM's 4x4/4x8 kernels need rows % 4 for the 32-blocks.
  const need = repack.has(GgmlType.Q8_0) ? multiple : 8;
  return t.matmul && repack.has(t.type) && rows % need === 0;
}

/** Compute-buffer peaks in bytes for one ubatch (see the header comment). */
export function computePeaks(
  shape: ModelShape,
  nKv: number,
  nUbatch: number,
  flashAttn: boolean,
  quantizedKv = false,
): { logits: number; attention: number; ffn: number } {
  const ub = nUbatch;
  const q = shape.nHead * shape.headDimK;
  const kGqa = shape.nHeadKv * shape.headDimK;
  const vGqa = shape.nHeadKv * shape.headDimV;
  const activations = ub * (2 * q + 3 * shape.nEmbd + kGqa + vGqa) * 4;
  const maskF16 = nKv * ub * 2;
  const maskF32 = nKv * ub * 4;
  const attention = flashAttn ? activations + maskF16 : nKv * ub * shape.nHead * 4 + maskF32 + activations;
  const ff = shape.nExpert > 1 ? shape.nFfExpert * shape.nExpertUsed : shape.nFf;
  const ffn = ub * (3 * ff + 4 * shape.nEmbd) * 4 + (flashAttn ? maskF16 : maskF32);
  // With a quantized cache ggml-alloc's packing leaves two or three hidden-state buffers alive at the
  // logits (it varies with n_ctx: measured +0/+1 n_embd rows); 2.5 keeps both cases within 3%.
  const logits = ub * (shape.nVocab + (quantizedKv ? 2.5 : 2) * shape.nEmbd) * 4;
  return { logits, attention, ffn };
}

/** The options resolved to what llama.cpp would use, and where each layer goes. */
interface Layout {
  readonly shape: ModelShape;
  readonly deviceCount: number;
  readonly nCtx: number;
  readonly nBatch: number;
  readonly nUbatch: number;
  readonly flashAttn: boolean;
  readonly cacheTypeK: KvCacheType;
  readonly cacheTypeV: KvCacheType;
  readonly gpuLayers: number;
  /** Device per layer 0..n_layer-1, then the output layer; -1 is the CPU. */
  readonly layerDevice: number[];
  readonly outputDevice: number;
  readonly cpuMoe: number;
  readonly repack: ReadonlySet<number>;
  readonly kvOffload: boolean;
}

/** Bytes per device (index) and on the host for one component. */
interface Placed {
  /** One entry per device. */
  readonly devices: number[];
  host: number;
}

/** Adds bytes on a device, or on the host for -1 (layerDeviceFor's device numbering). */
function addBytes(placed: Placed, device: number, bytes: number): void {
  if (device < 0) placed.host += bytes;
  // layerDeviceFor gives indices below the device count, and `devices` has one entry per device.
  else placed.devices[device]! += bytes;
}

interface PlacedWeights extends Placed {
  hostRepack: number;
  /** The largest matmul weight left on the CPU: op offload copies it to GPU 0. */
  largestCpuMatmul: number;
}

export function estimateMemory(model: GgufHeader | ModelShape, options: EstimateOptions): Estimate {
  const shape = 'tensors' in model && 'nLayer' in model ? model : modelShape(model);
  const devices = options.devices ?? [];
  const layout = resolveLayout(shape, devices, options);
  const weights = placeWeights(layout);
  const context = placeKvCache(layout);
  const compute = placeComputeBuffers(layout, weights.largestCpuMatmul);
  const toMiB = (b: number): number => b / MiB;
  return {
    // Each Placed has one entry per device.
    devices: devices.map((d, i) => ({ name: d.name, modelMiB: toMiB(weights.devices[i]!), contextMiB: toMiB(context.devices[i]!), computeMiB: toMiB(compute.devices[i]!) })),
    host: { modelMiB: toMiB(weights.host), contextMiB: toMiB(context.host), computeMiB: toMiB(compute.host) },
    hostRepackMiB: toMiB(weights.hostRepack),
    layerDevice: layout.layerDevice,
    gpuLayers: layout.gpuLayers,
    nCtx: layout.nCtx,
    nBatch: layout.nBatch,
    nUbatch: layout.nUbatch,
    flashAttn: layout.flashAttn,
    cacheTypeK: layout.cacheTypeK,
    cacheTypeV: layout.cacheTypeV,
  };
}

function resolveLayout(shape: ModelShape, devices: readonly EstimateDevice[], options: EstimateOptions): Layout {
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
  return {
    shape,
    deviceCount: devices.length,
    nCtx,
    nBatch,
    nUbatch,
    flashAttn,
    cacheTypeK,
    cacheTypeV,
    gpuLayers,
    layerDevice,
    outputDevice: layerDevice[nLayer]!, // the loop filled entries 0..nLayer
    cpuMoe: Math.max(0, options.cpuMoeLayers ?? 0),
    repack: devices.length === 0 ? REPACK_TYPES[options.cpuRepack ?? 'x86'] : REPACK_TYPES.none,
    kvOffload: options.kvOffload !== false,
  };
}

/** Weights per device, following load_tensors (see the header comment). */
function placeWeights(layout: Layout): PlacedWeights {
  const { shape, outputDevice, layerDevice, cpuMoe, repack } = layout;
  const placed: PlacedWeights = { devices: new Array<number>(layout.deviceCount).fill(0), host: 0, hostRepack: 0, largestCpuMatmul: 0 };
  const place = (t: ShapedTensor, where: number): void => {
    addBytes(placed, where, t.bytes);
    if (where >= 0) return;
    if (repackable(t, repack)) placed.hostRepack += t.bytes;
    if (t.matmul) placed.largestCpuMatmul = Math.max(placed.largestCpuMatmul, t.bytes);
  };
  for (const t of shape.tensors) {
    switch (t.place) {
      case 'input':
        place(t, -1);
        if (shape.tiedOutput && t.name === 'token_embd.weight' && outputDevice >= 0) {
          place({ ...t, matmul: true, place: 'output' }, outputDevice);
        }
        break;
      case 'output':
        place(t, outputDevice);
        break;
      case 'layer': {
        const il = Math.min(Math.max(t.layer, 0), shape.nLayer - 1);
        place(t, t.expert && il < cpuMoe ? -1 : layerDevice[il]!); // il is clamped into the layers
        break;
      }
      case 'global':
        // rope_freqs and the like: tiny, duplicated per layer by llama.cpp; counted once on the CPU.
        place(t, -1);
    }
  }
  return placed;
}

/** Each layer's K and V cache on the layer's device (all on the CPU with --no-kv-offload). */
function placeKvCache(layout: Layout): Placed {
  const { shape, nCtx, cacheTypeK, cacheTypeV } = layout;
  const perLayer = kvRowBytes(cacheTypeK, nCtx * shape.nHeadKv * shape.headDimK) + kvRowBytes(cacheTypeV, nCtx * shape.nHeadKv * shape.headDimV);
  const placed: Placed = { devices: new Array<number>(layout.deviceCount).fill(0), host: 0 };
  for (let il = 0; il < shape.nLayer; il++) {
    addBytes(placed, layout.kvOffload ? layout.layerDevice[il]! : -1, perLayer); // il < nLayer
  }
  return placed;
}

/** Compute buffers: each device holds the peaks of the parts it computes (see the header comment). */
function placeComputeBuffers(layout: Layout, largestCpuMatmul: number): Placed {
  const { shape, nCtx, nUbatch, layerDevice, outputDevice } = layout;
  const peaks = computePeaks(shape, nCtx, nUbatch, layout.flashAttn, layout.cacheTypeK !== 'f16' || layout.cacheTypeV !== 'f16');
  const layerPeak = Math.max(peaks.attention, peaks.ffn);
  if (layout.deviceCount === 0) return { devices: [], host: Math.max(peaks.logits, layerPeak) };
  const layers = layerDevice.slice(0, shape.nLayer);
  const devices = Array.from({ length: layout.deviceCount }, (_, d) => Math.max(layers.includes(d) ? layerPeak : 0, outputDevice === d ? peaks.logits : 0));
  const host = Math.max(layers.includes(-1) ? layerPeak : 0, outputDevice < 0 ? peaks.logits : 0, nUbatch * shape.nEmbd * 4 + nCtx * nUbatch * 4);
  // Op offload: big-batch matmuls of CPU-held weights run on GPU 0 with the weight copied there.
  if (nUbatch >= 32 && layout.gpuLayers > 0 && largestCpuMatmul > 0) devices[0]! += largestCpuMatmul; // deviceCount > 0 here
  return { devices, host };
}

export function totalMiB(c: ComponentEstimate): number {
  return c.modelMiB + c.contextMiB + c.computeMiB;
}

/** Block size check llama.cpp makes: a quantized K/V type must divide the head width. */
export function kvTypeFits(shape: ModelShape, type: KvCacheType): boolean {
  const block = KV_TYPE_BYTES[type].block;
  return shape.headDimK % block === 0 && shape.headDimV % block === 0;
}
