// The memory planner: picks llama-server's offload, KV cache, flash attention, threads and mmap for
// a model on a machine, maximizing generation speed subject to fitting every device with a margin.
// Pure and deterministic: numbers come from estimate.ts; the dry-run orchestration (llama/) may
// later replace them with llama.cpp's own measurement of the same arguments.
//
// Choices, in order of what they cost generation speed:
// - Dense models: as many layers on the GPU(s) as fit (-ngl counts the output layer: n_layer + 1 is all).
// - MoE models: all layers on the GPU, with the expert tensors of the first N layers in RAM
//   (--n-cpu-moe N, the smallest N that fits); only when even --cpu-moe does not fit, whole layers move.
// - KV cache f16, unless q8_0 (then q4_0) puts more on the GPU; a quantized cache turns flash attention on.
// - Several GPUs: layers split in proportion to each GPU's free memory less its margin (-ts).
// - Threads = physical cores. mmap, unless the file is bigger than the RAM left while the part that
//   stays on the CPU fits (then --no-mmap reads only that part instead of paging the whole file).
// - Nothing fits: a smaller context (halving, down to minContext) when the context was not given.
import { estimateMemory, kvTypeFits, totalMiB, type Estimate, type EstimateDevice, type KvCacheType } from './estimate';
import type { GgufHeader } from './ggufHeader';
import type { HardwareFacts } from './hardware';
import { isMoe, modelShape, type ModelShape } from './modelShape';
import type { Plan, PlanWishes } from './planTypes';

export type { Plan, PlanWishes } from './planTypes';

export const DEFAULT_CONTEXT = 8192;
export const DEFAULT_MIN_CONTEXT = 2048;
export const DEFAULT_GPU_MARGIN_MIB = 1024;
export const DEFAULT_RAM_MARGIN_MIB = 1024;
const DEFAULT_BATCH = 2048;
const DEFAULT_UBATCH = 512;

interface Candidate {
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

interface Setup {
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

const gib = (mib: number): string => `${(mib / 1024).toFixed(1)} GiB`;
const layers = (n: number): string => (n === 1 ? '1 layer' : `${n} layers`);

function marginOf(wishes: PlanWishes): number {
  return wishes.marginMiB ?? DEFAULT_GPU_MARGIN_MIB;
}

function ramMarginOf(wishes: PlanWishes): number {
  return wishes.ramMarginMiB ?? DEFAULT_RAM_MARGIN_MIB;
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
  const fitsGpu = estimate.devices.every((d, i) => totalMiB(d) <= s.gpuBudgets[i]);
  const fits = fitsGpu && totalMiB(estimate.host) <= s.ramBudget;
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

function choose(s: Setup): { chosen: Candidate; baseline: Candidate } {
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

function setup(shape: ModelShape, hardware: HardwareFacts, wishes: PlanWishes, contextSize: number): Setup {
  const margin = marginOf(wishes);
  const gpuBudgets = hardware.gpus.map((g) => g.freeMiB - margin);
  const devices = hardware.gpus.map((g) => ({ name: g.name, freeMiB: g.freeMiB }));
  const tensorSplit = hardware.gpus.length > 1 ? gpuBudgets.map((b) => Math.max(0, Math.round(b))) : undefined;
  return {
    shape,
    hardware,
    devices,
    tensorSplit: tensorSplit && tensorSplit.some((x) => x > 0) ? tensorSplit : undefined,
    gpuBudgets,
    ramBudget: hardware.ramAvailableMiB - ramMarginOf(wishes),
    contextSize,
    batch: wishes.batch ?? DEFAULT_BATCH,
    ubatch: wishes.ubatch ?? DEFAULT_UBATCH,
    wishes,
  };
}

export function plan(model: GgufHeader | ModelShape, hardware: HardwareFacts, wishesIn: PlanWishes = {}): Plan {
  const shape = 'nLayer' in model ? model : modelShape(model);
  const reasons: string[] = [];
  const warnings: string[] = [];
  let wishes = wishesIn;
  const vSet = wishes.cacheTypeV !== undefined && wishes.cacheTypeV !== 'auto' && wishes.cacheTypeV !== 'f16';
  if (vSet && wishes.flashAttn === 'off') {
    warnings.push(`A ${wishes.cacheTypeV} V cache needs flash attention, which was set off; llama.cpp would refuse to start, so flash attention is on.`);
    wishes = { ...wishes, flashAttn: 'on' };
  }
  for (const key of ['cacheTypeK', 'cacheTypeV'] as const) {
    const t = wishes[key];
    if (t !== undefined && t !== 'auto' && !kvTypeFits(shape, t)) {
      warnings.push(`${t} does not divide this model's head width; the ${key === 'cacheTypeK' ? 'K' : 'V'} cache stays f16.`);
      wishes = { ...wishes, [key]: 'f16' };
    }
  }
  const explicitContext = wishes.contextSize !== undefined && wishes.contextSize > 0;
  let contextSize = explicitContext ? Math.floor(wishes.contextSize as number) : Math.min(DEFAULT_CONTEXT, shape.nCtxTrain);
  if (explicitContext && contextSize > shape.nCtxTrain) {
    warnings.push(`The context of ${contextSize} tokens is larger than the ${shape.nCtxTrain} the model was trained for; quality may drop past that.`);
  }

  let s = setup(shape, hardware, wishes, contextSize);
  let { chosen, baseline } = choose(s);
  // A smaller context is the last resort, and only the planner's own: not when the context or the
  // offload (-ngl, --n-cpu-moe) was set, since shrinking it would fight the user's choice.
  const offloadSet = typeof wishes.gpuLayers === 'number' || typeof wishes.cpuMoeLayers === 'number';
  if (!chosen.fits && !explicitContext && !offloadSet) {
    const floor = Math.min(wishes.minContext ?? DEFAULT_MIN_CONTEXT, contextSize);
    const requested = contextSize;
    while (!chosen.fits && contextSize > floor) {
      contextSize = Math.max(floor, Math.floor(contextSize / 2));
      s = setup(shape, hardware, wishes, contextSize);
      ({ chosen, baseline } = choose(s));
    }
    if (contextSize < requested && chosen.fits) {
      reasons.push(`Context ${contextSize} tokens: ${requested} does not fit this machine's memory.`);
    } else if (contextSize < requested) {
      // A smaller context did not make it fit either: giving it up would cost the user for nothing.
      warnings.push(`Even ${contextSize} tokens of context do not fit; the model is too large for this machine's memory.`);
      contextSize = requested;
      s = setup(shape, hardware, wishes, contextSize);
      ({ chosen, baseline } = choose(s));
    }
  }
  if (!reasons.some((r) => r.startsWith('Context'))) {
    reasons.push(
      explicitContext
        ? `Context ${contextSize} tokens, as set.`
        : contextSize < DEFAULT_CONTEXT
          ? `Context ${contextSize} tokens: the model's trained context.`
          : `Context ${contextSize} tokens (the default).`,
    );
  }

  const e = chosen.estimate;
  const all = shape.nLayer + 1;
  const threads = typeof wishes.threads === 'number' && wishes.threads > 0 ? Math.floor(wishes.threads) : Math.max(1, hardware.physicalCores);
  const ramBudget = s.ramBudget;
  const hostTotal = totalMiB(e.host);
  const fileMiB = shape.totalBytes / (1024 * 1024);
  let mmap: boolean;
  if (typeof wishes.mmap === 'boolean') {
    mmap = wishes.mmap;
    reasons.push(mmap ? 'Weights memory-mapped (mmap), as set.' : 'Weights read into RAM (--no-mmap), as set.');
  } else if (hardware.gpus.length > 0 && fileMiB + e.host.contextMiB + e.host.computeMiB > ramBudget && hostTotal <= ramBudget) {
    mmap = false;
    reasons.push(`Weights read into RAM (--no-mmap): the ${gib(fileMiB)} file is larger than the RAM left, and only the CPU's ${gib(e.host.modelMiB)} of it is needed there.`);
  } else {
    mmap = true;
    reasons.push('Weights memory-mapped (mmap): the file stays in the page cache and loads fast the next time.');
  }

  // Offload reasons.
  const moe = isMoe(shape);
  const gpuFree = e.devices.map((d, i) => s.gpuBudgets[i] - totalMiB(d));
  const spare = gpuFree.length ? Math.min(...gpuFree) : ramBudget - hostTotal;
  if (hardware.gpus.length === 0) {
    reasons.push(`All ${all} layers on the CPU: no GPU was found.`);
  } else {
    const where = hardware.gpus.length > 1 ? `${hardware.gpus.length} GPUs` : 'the GPU';
    const layersSet = typeof wishes.gpuLayers === 'number';
    if (layersSet) reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}, as set.`);
    else if (chosen.gpuLayers === all && chosen.cpuMoe === 0) reasons.push(`${all} of ${all} layers on ${where}: the model fits with ${gib(spare)} to spare.`);
    else if (chosen.gpuLayers === all) reasons.push(`${all} of ${all} layers on ${where}, with the expert tensors of ${chosen.cpuMoe} of ${shape.nLayer} layers in RAM: experts are the cheapest part to run on the CPU.`);
    else if (chosen.gpuLayers > 0) reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}: that is as many as fit with a ${gib(marginOf(wishes))} margin; the rest run on the CPU.`);
    else reasons.push(`0 of ${all} layers on ${where}: not even one layer fits in its free memory.`);
    if (moe && chosen.gpuLayers < all && chosen.gpuLayers > 0 && typeof wishes.cpuMoeLayers !== 'number') {
      reasons.push('Every expert tensor stays in RAM (--cpu-moe), and still not every layer fits on the GPU.');
    } else if (moe && typeof wishes.cpuMoeLayers === 'number') {
      reasons.push(`Expert tensors of ${chosen.cpuMoe} layers in RAM, as set.`);
    }
    if (s.tensorSplit) reasons.push(`Layers split ${s.tensorSplit.join(':')} across the GPUs, in proportion to their free memory.`);
  }
  const fa = wishes.flashAttn ?? 'auto';
  if (chosen.cacheType !== 'f16' || chosen.estimate.cacheTypeV !== 'f16') {
    if (chosen !== baseline) {
      const gain = !baseline.fits
        ? 'with f16 the model does not fit at all'
        : chosen.gpuLayers > baseline.gpuLayers
          ? `it puts ${layers(chosen.gpuLayers - baseline.gpuLayers)} more on the GPU than f16`
          : `it keeps the experts of ${layers(baseline.cpuMoe - chosen.cpuMoe)} fewer in RAM than f16`;
      reasons.push(`KV cache ${chosen.cacheType} with flash attention: ${gain}.`);
    } else reasons.push(`KV cache K ${chosen.cacheType}, V ${chosen.estimate.cacheTypeV}, as set.`);
  } else {
    reasons.push(`KV cache f16 (${gib(e.host.contextMiB + e.devices.reduce((a, d) => a + d.contextMiB, 0))}): a quantized cache would not put more on the GPU.`);
  }
  if (fa === 'on' || fa === 'off') reasons.push(`Flash attention ${fa}, as set.`);
  else if (chosen.cacheType === 'f16') reasons.push('Flash attention on: it keeps the compute buffer small at long contexts.');
  reasons.push(typeof wishes.threads === 'number' ? `${threads} threads, as set.` : `${threads} threads: one per physical core.`);

  if (!chosen.fits) {
    for (const [i, d] of e.devices.entries()) {
      const short = totalMiB(d) - s.gpuBudgets[i];
      if (short > 0) warnings.push(`${d.name} is ${gib(short)} short: it needs ${gib(totalMiB(d))} and has ${gib(s.gpuBudgets[i])} free after the margin.`);
    }
    if (hostTotal > ramBudget) warnings.push(`RAM is ${gib(hostTotal - ramBudget)} short: the CPU part needs ${gib(hostTotal)} and ${gib(ramBudget)} is available after the margin.`);
  }

  const args: string[] = ['-ngl', String(chosen.gpuLayers), '--fit', 'off'];
  if (chosen.cacheType !== 'f16') args.push('-ctk', chosen.cacheType);
  if (chosen.estimate.cacheTypeV !== 'f16') args.push('-ctv', chosen.estimate.cacheTypeV);
  args.push('-fa', chosen.flashAttn ? 'on' : 'off');
  args.push('-t', String(threads));
  if (!mmap) args.push('--no-mmap');
  if (chosen.cpuMoe >= shape.nLayer && moe) args.push('--cpu-moe');
  else if (chosen.cpuMoe > 0) args.push('--n-cpu-moe', String(chosen.cpuMoe));
  if (s.batch !== DEFAULT_BATCH) args.push('-b', String(s.batch));
  if (s.ubatch !== DEFAULT_UBATCH) args.push('-ub', String(s.ubatch));
  if (s.tensorSplit) args.push('-ts', s.tensorSplit.join(','));

  return {
    source: 'estimate',
    args,
    devices: e.devices.map((d, i) => ({
      name: d.name,
      totalMiB: hardware.gpus[i].totalMiB,
      freeMiB: hardware.gpus[i].freeMiB,
      modelMiB: round(d.modelMiB),
      contextMiB: round(d.contextMiB),
      computeMiB: round(d.computeMiB),
    })),
    host: { modelMiB: round(e.host.modelMiB), contextMiB: round(e.host.contextMiB), computeMiB: round(e.host.computeMiB) },
    hostRepackMiB: round(e.hostRepackMiB),
    gpuLayers: { onGpu: chosen.gpuLayers, total: all },
    contextSize,
    cacheTypeK: chosen.cacheType,
    cacheTypeV: chosen.estimate.cacheTypeV,
    flashAttn: chosen.flashAttn,
    threads,
    mmap,
    cpuMoeLayers: chosen.cpuMoe,
    batch: s.batch,
    ubatch: s.ubatch,
    tensorSplit: s.tensorSplit,
    fits: chosen.fits,
    reasons,
    warnings,
  };
}

function round(mib: number): number {
  return Math.round(mib * 10) / 10;
}

/** Per-device and RAM shortfalls of a plan against the hardware and margins (empty: it fits). */
export function budgetShortfalls(p: Plan, hardware: HardwareFacts, wishes: PlanWishes = {}): string[] {
  const out: string[] = [];
  const margin = marginOf(wishes);
  p.devices.forEach((d, i) => {
    const need = d.modelMiB + d.contextMiB + d.computeMiB;
    const have = (hardware.gpus[i]?.freeMiB ?? 0) - margin;
    if (need > have + 0.5) out.push(`${d.name}: needs ${need.toFixed(0)} MiB, has ${have.toFixed(0)} MiB`);
  });
  const host = p.host.modelMiB + p.host.contextMiB + p.host.computeMiB;
  const ram = hardware.ramAvailableMiB - ramMarginOf(wishes);
  if (host > ram + 0.5) out.push(`RAM: needs ${host.toFixed(0)} MiB, has ${ram.toFixed(0)} MiB`);
  return out;
}

/** Does the plan fit every GPU (free less the margin) and RAM (available less the RAM margin)? */
export function fitsBudget(p: Plan, hardware: HardwareFacts, wishes: PlanWishes = {}): boolean {
  return budgetShortfalls(p, hardware, wishes).length === 0;
}
