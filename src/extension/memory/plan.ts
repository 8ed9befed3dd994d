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
// The search lives in offloadSearch.ts, the sentences that explain it in planReasons.ts.
import { kvTypeFits, totalMiB, type Estimate } from './estimate';
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from './hardware';
import { isMoe, modelShape, type ModelShape } from './modelShape';
import { choose, DEFAULT_BATCH, DEFAULT_UBATCH, marginOf, onePoolMiB, ramMarginOf, setup, type Candidate, type Setup } from './offloadSearch';
import { formatGiB } from './formatGiB';
import { cacheReasons, offloadReasons, saidByEstimate, saidByMeasurement, shortfallWarnings, threadsFor, type Said } from './planReasons';
import type { MeasuredSettings, Measurement, Plan, PlanWishes } from './planTypes';

export type { Plan, PlanWishes } from './planTypes';

export const DEFAULT_CONTEXT = 8192;
export const DEFAULT_MIN_CONTEXT = 2048;

/** Wishes llama.cpp would refuse, made valid (with a warning each): a quantized V cache needs flash attention, a cache type must divide the head width. */
function validWishes(shape: ModelShape, wishesIn: PlanWishes, warnings: string[]): PlanWishes {
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
  return wishes;
}

interface Fitted {
  s: Setup;
  chosen: Candidate;
  baseline: Candidate;
  contextSize: number;
}

/**
 * The search at the wished context, then, when nothing fits, at halved contexts down to minContext. A smaller
 * context is the last resort, and only the planner's own: not when the context or the offload (-ngl,
 * --n-cpu-moe) was set, since shrinking it would fight the user's choice.
 */
function fitContext(shape: ModelShape, hardware: HardwareFacts, wishes: PlanWishes, reasons: string[], warnings: string[]): Fitted {
  const explicitContext = wishes.contextSize !== undefined && wishes.contextSize > 0;
  const wished = explicitContext ? Math.floor(wishes.contextSize as number) : DEFAULT_CONTEXT;
  // llama-server caps every conversation at the trained context (it still allocates the whole -c), so a larger
  // context would only cost memory.
  const requested = Math.min(wished, shape.nCtxTrain);
  if (explicitContext && wished > shape.nCtxTrain) {
    warnings.push(`The context of ${wished} tokens is larger than the ${shape.nCtxTrain} this model was trained for, and llama-server caps each conversation there; Headroom plans ${shape.nCtxTrain} rather than allocate memory no conversation can use.`);
  }
  const at = (contextSize: number): Fitted => {
    const s = setup(shape, hardware, wishes, contextSize);
    return { s, ...choose(s), contextSize };
  };
  let fitted = at(requested);
  const offloadSet = typeof wishes.gpuLayers === 'number' || typeof wishes.cpuMoeLayers === 'number';
  if (!fitted.chosen.fits && !explicitContext && !offloadSet) {
    const floor = Math.min(wishes.minContext ?? DEFAULT_MIN_CONTEXT, requested);
    while (!fitted.chosen.fits && fitted.contextSize > floor) fitted = at(Math.max(floor, Math.floor(fitted.contextSize / 2)));
    if (fitted.contextSize < requested && fitted.chosen.fits) {
      reasons.push(`Context ${fitted.contextSize} tokens: ${requested} does not fit this machine's memory.`);
      return fitted;
    }
    if (fitted.contextSize < requested) {
      // A smaller context did not make it fit either: giving it up would cost the user for nothing.
      warnings.push(`Even ${fitted.contextSize} tokens of context do not fit; the model is too large for this machine's memory.`);
      fitted = at(requested);
    }
  }
  reasons.push(
    explicitContext && wished === requested
      ? `Context ${requested} tokens, as set.`
      : requested < wished
        ? `Context ${requested} tokens: the model's trained context.`
        : `Context ${requested} tokens (the default).`,
  );
  return fitted;
}

/**
 * mmap, unless the file is bigger than the RAM left while the part that stays on the CPU fits (then --no-mmap
 * reads only that part instead of paging the whole file).
 */
function chooseMmap(shape: ModelShape, hardware: HardwareFacts, wishes: PlanWishes, e: Estimate, ramBudget: number, hostModelMiB: number): { mmap: boolean; reason: string } {
  if (typeof wishes.mmap === 'boolean') {
    return { mmap: wishes.mmap, reason: wishes.mmap ? 'Weights memory-mapped (mmap), as set.' : 'Weights read into RAM (--no-mmap), as set.' };
  }
  const fileMiB = shape.totalBytes / (1024 * 1024);
  if (hardware.gpus.length > 0 && fileMiB + e.host.contextMiB + e.host.computeMiB > ramBudget && totalMiB(e.host) <= ramBudget) {
    return { mmap: false, reason: `Weights read into RAM (--no-mmap): the ${formatGiB(fileMiB)} file is larger than the RAM left, and only the CPU's ${formatGiB(hostModelMiB)} of it is needed there.` };
  }
  return { mmap: true, reason: 'Weights memory-mapped (mmap): the file stays in the page cache and loads fast the next time.' };
}

/**
 * A unified-memory GPU (Metal) and the CPU part each within their own budget can still over-commit the one RAM they
 * share: that shortfall, when there is one.
 */
function onePoolShortfall(hardware: HardwareFacts, said: Said): string[] {
  if (!hardware.gpus.some((g) => g.source === 'unified')) return [];
  const need = onePoolMiB(hardware, said.devices, said.host);
  if (need <= said.ramBudget) return [];
  return [`RAM is ${formatGiB(need - said.ramBudget)} short: the GPU shares it with the CPU (unified memory), and together they need ${formatGiB(need)} of the ${formatGiB(said.ramBudget)} available after the margin${said.measured ? ' (measured by the dry run)' : ''}.`];
}

/** llama-server's arguments for the chosen configuration (without --ctx-size, which the caller adds). */
function serverArgs(s: Setup, chosen: Candidate, threads: number, mmap: boolean): string[] {
  const args: string[] = ['-ngl', String(chosen.gpuLayers), '--fit', 'off'];
  if (chosen.cacheType !== 'f16') args.push('-ctk', chosen.cacheType);
  if (chosen.estimate.cacheTypeV !== 'f16') args.push('-ctv', chosen.estimate.cacheTypeV);
  args.push('-fa', chosen.flashAttn ? 'on' : 'off');
  args.push('-t', String(threads));
  if (!mmap) args.push('--no-mmap');
  if (chosen.cpuMoe >= s.shape.nLayer && isMoe(s.shape)) args.push('--cpu-moe');
  else if (chosen.cpuMoe > 0) args.push('--n-cpu-moe', String(chosen.cpuMoe));
  if (s.batch !== DEFAULT_BATCH) args.push('-b', String(s.batch));
  if (s.ubatch !== DEFAULT_UBATCH) args.push('-ub', String(s.ubatch));
  if (s.tensorSplit) args.push('-ts', s.tensorSplit.join(','));
  return args;
}

/**
 * The plan for a model on a machine. With `measured` (llama.cpp's dry run of this same plan), the choices are the
 * same, but the reasons and warnings quote the measurement, held to its margins.
 */
export function plan(model: GgufHeader | ModelShape, hardware: HardwareFacts, wishesIn: PlanWishes = {}, measured?: Measurement): Plan {
  const shape = 'nLayer' in model ? model : modelShape(model);
  const tuned = wishesIn.measured;
  if (!tuned) return planFor(shape, hardware, wishesIn, measured);
  const { measured: _, ...untuned } = wishesIn;
  const withTuned = planFor(shape, hardware, withMeasured(untuned, tuned), measured);
  if (withTuned.fits) return { ...withTuned, reasons: [...withTuned.reasons, `Measured fastest on this machine (headroom tune): ${tuned.summary}.`] };
  const plain = planFor(shape, hardware, untuned, measured);
  return { ...plain, reasons: [...plain.reasons, `The settings measured fastest (${tuned.summary}) do not fit the memory free now; planned without them.`] };
}

/** The measured settings where the wishes leave the choice open; `measured` keeps only those applied (the reasons say them so). */
export function withMeasured(wishes: PlanWishes, m: MeasuredSettings): PlanWishes {
  const open = (v: unknown): boolean => v === undefined || v === 'auto';
  const applied: MeasuredSettings = { summary: m.summary };
  const out: PlanWishes = { ...wishes, measured: applied };
  if (m.threads !== undefined && open(wishes.threads)) out.threads = applied.threads = m.threads;
  if (m.batch !== undefined && wishes.batch === undefined) out.batch = applied.batch = m.batch;
  if (m.ubatch !== undefined && wishes.ubatch === undefined) out.ubatch = applied.ubatch = m.ubatch;
  if (m.flashAttn !== undefined && open(wishes.flashAttn)) {
    applied.flashAttn = m.flashAttn;
    out.flashAttn = m.flashAttn ? 'on' : 'off';
  }
  if (m.cacheType !== undefined && open(wishes.cacheTypeK) && open(wishes.cacheTypeV)) out.cacheTypeK = out.cacheTypeV = applied.cacheType = m.cacheType;
  if (m.gpuLayers !== undefined && open(wishes.gpuLayers)) out.gpuLayers = applied.gpuLayers = m.gpuLayers;
  if (m.cpuMoeLayers !== undefined && open(wishes.cpuMoeLayers)) out.cpuMoeLayers = applied.cpuMoeLayers = m.cpuMoeLayers;
  return out;
}

function planFor(shape: ModelShape, hardware: HardwareFacts, wishesIn: PlanWishes, measured: Measurement | undefined): Plan {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const wishes = validWishes(shape, wishesIn, warnings);
  const { s, chosen, baseline, contextSize } = fitContext(shape, hardware, wishes, reasons, warnings);
  const e = chosen.estimate;
  const { threads, reason: threadsReason } = threadsFor(hardware, wishes.threads, wishes.measured?.threads !== undefined);
  const said = measured ? saidByMeasurement(hardware, measured) : saidByEstimate(s, chosen);
  const { mmap, reason: mmapReason } = chooseMmap(shape, hardware, wishes, e, s.ramBudget, said.host.modelMiB);
  reasons.push(mmapReason, ...offloadReasons(s, chosen, said), ...cacheReasons(s, chosen, baseline, said), threadsReason);
  const shortfalls = [...shortfallWarnings(s, said), ...onePoolShortfall(hardware, said)];
  warnings.push(...shortfalls);

  return {
    source: 'estimate',
    args: serverArgs(s, chosen, threads, mmap),
    devices: e.devices.map((d, i) => {
      const gpu = hardware.gpus[i]!; // setup() gives the estimate one device per GPU, in order
      return {
        name: d.name,
        totalMiB: gpu.totalMiB,
        freeMiB: gpu.freeMiB,
        modelMiB: round(d.modelMiB),
        contextMiB: round(d.contextMiB),
        computeMiB: round(d.computeMiB),
      };
    }),
    host: { modelMiB: round(e.host.modelMiB), contextMiB: round(e.host.contextMiB), computeMiB: round(e.host.computeMiB) },
    hostRepackMiB: round(e.hostRepackMiB),
    gpuLayers: { onGpu: chosen.gpuLayers, total: shape.nLayer + 1 },
    contextSize,
    cacheTypeK: chosen.cacheType,
    cacheTypeV: e.cacheTypeV,
    flashAttn: chosen.flashAttn,
    threads,
    mmap,
    cpuMoeLayers: chosen.cpuMoe,
    batch: s.batch,
    ubatch: s.ubatch,
    tensorSplit: s.tensorSplit,
    fits: shortfalls.length === 0,
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
  // With a unified-memory GPU, RAM holds its part too.
  const host = onePoolMiB(hardware, p.devices, p.host);
  const ram = hardware.ramAvailableMiB - ramMarginOf(wishes);
  if (host > ram + 0.5) out.push(`RAM: needs ${host.toFixed(0)} MiB, has ${ram.toFixed(0)} MiB`);
  return out;
}

/** Does the plan fit every GPU (free less the margin) and RAM (available less the RAM margin)? */
export function fitsBudget(p: Plan, hardware: HardwareFacts, wishes: PlanWishes = {}): boolean {
  return budgetShortfalls(p, hardware, wishes).length === 0;
}
