// The offload search of the memory planner: for one context size, the offload (-ngl, --n-cpu-moe) and KV
// cache type that put the most on the GPU(s) within their budgets, by binary search over estimates.
import { estimateMemory, kvTypeFits, totalMiB, type Estimate, type EstimateDevice, type KvCacheType } from './estimate';
import type { GpuFacts, HardwareFacts } from './hardware';
import { isMoe, type ModelShape } from './modelShape';
import type { MemoryParts, PlanWishes } from './planTypes';

export const DEFAULT_GPU_MARGIN_MIB = 1024;
export const DEFAULT_RAM_MARGIN_MIB = 1024;
export const DEFAULT_BATCH = 2048;
export const DEFAULT_UBATCH = 512;

export interface Candidate {
  gpuLayers: number;
  cpuMoe: number;
  cacheType: KvCacheType;
  flashAttn: boolean;
  estimate: Estimate;
  /** Every GPU within its budget: what the offload search maximizes against. */
  fitsGpu: boolean;
  /** The GPUs and RAM within their budgets. */
  fits: boolean;
}

export interface Setup {
  shape: ModelShape;
  hardware: HardwareFacts;
  devices: EstimateDevice[];
  tensorSplit?: number[];
  gpuBudgets: number[];
  ramBudget: number;
  contextSize: number;
  batch: number;
  ubatch: number;
  wishes: PlanWishes;
}

/** MiB the setup's GPU i may use. An estimate made from s.devices has one device per GPU, in this order. */
export function gpuBudget(s: Setup, i: number): number {
  const budget = s.gpuBudgets[i];
  if (budget === undefined) throw new RangeError(`the setup has ${s.gpuBudgets.length} GPU budgets, not ${i + 1}`);
  return budget;
}

export function marginOf(wishes: PlanWishes): number {
  return wishes.marginMiB ?? DEFAULT_GPU_MARGIN_MIB;
}

export function ramMarginOf(wishes: PlanWishes): number {
  return wishes.ramMarginMiB ?? DEFAULT_RAM_MARGIN_MIB;
}

/**
 * What the GPUs that share RAM with the CPU (Metal on Apple silicon) and the host part need together: one pool,
 * held to the RAM budget. Metal's "free" figure is its working-set limit less this process's allocations, in the same
 * RAM, so budgeting the two apart over-commits it.
 */
export function onePoolMiB(hardware: HardwareFacts, devices: readonly MemoryParts[], host: MemoryParts): number {
  const sum = (p: MemoryParts): number => p.modelMiB + p.contextMiB + p.computeMiB;
  return devices.reduce((total, d, i) => (hardware.gpus[i]?.source === 'unified' ? total + sum(d) : total), sum(host));
}

function estimateFor(s: Setup, gpuLayers: number, cpuMoe: number, cacheType: KvCacheType, flashAttn: boolean, cacheTypeV = cacheType): Candidate {
  const estimate = estimateMemory(s.shape, {
    contextSize: s.contextSize,
    cacheTypeK: cacheType,
    cacheTypeV,
    flashAttn,
    batch: s.batch,
    ubatch: s.ubatch,
    devices: s.devices,
    gpuLayers,
    tensorSplit: s.tensorSplit,
    cpuMoeLayers: cpuMoe,
    cpuRepack: s.wishes.cpuRepack,
  });
  const fitsGpu = estimate.devices.every((d, i) => totalMiB(d) <= gpuBudget(s, i));
  // Host and unified-memory GPUs draw on one pool (the host part alone when no GPU shares RAM).
  const fits = fitsGpu && onePoolMiB(s.hardware, estimate.devices, estimate.host) <= s.ramBudget;
  return { gpuLayers, cpuMoe, cacheType, flashAttn, estimate, fitsGpu, fits };
}

/** Largest value in [lo, hi] for which ok() holds, assuming ok is monotone decreasing; lo - 1 if none. */
function largest(lo: number, hi: number, ok: (n: number) => boolean): number {
  let best = lo - 1;
  let a = lo;
  let b = hi;
  while (a <= b) {
    const mid = Math.floor((a + b) / 2);
    if (ok(mid)) {
      best = mid;
      a = mid + 1;
    } else b = mid - 1;
  }
  return best;
}

/** Smallest value in [lo, hi] for which ok() holds (monotone increasing); hi + 1 if none. */
function smallest(lo: number, hi: number, ok: (n: number) => boolean): number {
  return largest(lo, hi, (n) => !ok(n)) + 1;
}

/** The best offload for one KV cache type, honouring explicit gpuLayers / cpuMoeLayers. */
function bestOffload(s: Setup, cacheType: KvCacheType, flashAttn: boolean, cacheTypeV: KvCacheType): Candidate {
  const all = s.shape.nLayer + 1;
  const nLayer = s.shape.nLayer;
  const moe = isMoe(s.shape);
  const wishLayers = typeof s.wishes.gpuLayers === 'number' ? Math.max(0, Math.min(Math.floor(s.wishes.gpuLayers), all)) : undefined;
  const wishMoe = typeof s.wishes.cpuMoeLayers === 'number' ? Math.max(0, Math.min(Math.floor(s.wishes.cpuMoeLayers), nLayer)) : undefined;
  const at = (ngl: number, cpuMoe: number): Candidate => estimateFor(s, ngl, cpuMoe, cacheType, flashAttn, cacheTypeV);
  if (s.devices.length === 0) return at(0, 0);

  if (wishLayers !== undefined && (wishMoe !== undefined || !moe)) return at(wishLayers, wishMoe ?? 0);
  if (wishLayers !== undefined) {
    // Layers fixed by the user: the fewest experts in RAM that fit.
    const n = smallest(0, nLayer, (m) => at(wishLayers, m).fitsGpu);
    return at(wishLayers, Math.min(n, nLayer));
  }
  // The searches only ask for the GPUs to fit: more on the GPU never needs more RAM, so even when RAM
  // is short (reported as not fitting) the most that fits the GPUs is still the best plan.
  if (moe && wishMoe === undefined) {
    // Experts to RAM first, all layers on the GPU...
    const n = smallest(0, nLayer, (m) => at(all, m).fitsGpu);
    if (n <= nLayer) return at(all, n);
    // ...then whole layers, with every expert in RAM.
    const ngl = largest(0, all, (l) => at(l, nLayer).fitsGpu);
    return at(Math.max(ngl, 0), nLayer);
  }
  const cpuMoe = wishMoe ?? 0;
  const ngl = largest(0, all, (l) => at(l, cpuMoe).fitsGpu);
  return at(Math.max(ngl, 0), cpuMoe);
}

/** How much is on the GPU: layers first, then (MoE) how few layers keep experts in RAM. */
function gpuScore(c: Candidate, nLayer: number): number {
  return c.gpuLayers * (nLayer + 2) + (nLayer - c.cpuMoe);
}

/** The chosen candidate, and the f16-cache one it is compared with (the same when the cache type was set). */
export function choose(s: Setup): { chosen: Candidate; baseline: Candidate } {
  const w = s.wishes;
  const fa = w.flashAttn ?? 'auto';
  const explicitK = w.cacheTypeK !== undefined && w.cacheTypeK !== 'auto' ? w.cacheTypeK : undefined;
  const explicitV = w.cacheTypeV !== undefined && w.cacheTypeV !== 'auto' ? w.cacheTypeV : undefined;
  if (explicitK || explicitV) {
    const k = explicitK ?? explicitV ?? 'f16';
    const v = explicitV ?? (fa === 'off' ? 'f16' : k);
    const c = bestOffload(s, k, fa === 'off' ? false : true, v);
    return { chosen: c, baseline: c };
  }
  const baseline = bestOffload(s, 'f16', fa !== 'off', 'f16');
  let chosen = baseline;
  if (s.devices.length > 0 && fa !== 'off') {
    for (const type of ['q8_0', 'q4_0'] as const) {
      if (!kvTypeFits(s.shape, type)) continue;
      const c = bestOffload(s, type, true, type);
      // q8_0 first; q4_0 only when it buys more still.
      const better = c.fits === chosen.fits ? c.fitsGpu && gpuScore(c, s.shape.nLayer) > gpuScore(chosen, s.shape.nLayer) : c.fits;
      if (better) chosen = c;
    }
  } else if (!baseline.fits && fa !== 'off') {
    // CPU only and short of RAM: a quantized cache may be what makes it fit.
    for (const type of ['q8_0', 'q4_0'] as const) {
      if (!kvTypeFits(s.shape, type)) continue;
      const c = bestOffload(s, type, true, type);
      if (c.fits) {
        chosen = c;
        break;
      }
    }
  }
  return { chosen, baseline };
}

/** What the estimate needs of a GPU: its free memory and, where known, the limits of its backend (see EstimateDevice). */
type GpuForEstimate = GpuFacts & Partial<Pick<EstimateDevice, 'maxTensorBytes' | 'maxBufferBytes' | 'backend'>>;

function estimateDevice(g: GpuForEstimate): EstimateDevice {
  return { name: g.name, freeMiB: g.freeMiB, maxTensorBytes: g.maxTensorBytes, maxBufferBytes: g.maxBufferBytes, backend: g.backend };
}

/** Budgets and fixed settings of one search: GPU free memory less the margin, RAM available less its margin (one pool with a unified-memory GPU). */
export function setup(shape: ModelShape, hardware: HardwareFacts, wishes: PlanWishes, contextSize: number): Setup {
  const margin = marginOf(wishes);
  const ramBudget = hardware.ramAvailableMiB - ramMarginOf(wishes);
  // A GPU sharing RAM gets no more than the RAM there is, whatever its working-set limit says; with the host part
  // it is held to that one pool in estimateFor.
  const gpuBudgets = hardware.gpus.map((g) => (g.source === 'unified' ? Math.min(g.freeMiB - margin, ramBudget) : g.freeMiB - margin));
  const devices = hardware.gpus.map((g: GpuForEstimate) => estimateDevice(g));
  const tensorSplit = hardware.gpus.length > 1 ? gpuBudgets.map((b) => Math.max(0, Math.round(b))) : undefined;
  return {
    shape,
    hardware,
    devices,
    tensorSplit: tensorSplit && tensorSplit.some((x) => x > 0) ? tensorSplit : undefined,
    gpuBudgets,
    ramBudget,
    contextSize,
    batch: wishes.batch ?? DEFAULT_BATCH,
    ubatch: wishes.ubatch ?? DEFAULT_UBATCH,
    wishes,
  };
}
