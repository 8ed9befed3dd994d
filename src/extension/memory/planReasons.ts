// The planner's reasons and warnings: one plain sentence per choice, said the way the plan panel, the CLI and
// the status bar show them. The sentences that quote memory are said from the numbers they are given: the
// estimate's while planning, llama.cpp's dry run of the same plan once there is one (see Said).
import { totalMiB } from './estimate';
import type { HardwareFacts } from './hardware';
import { isMoe } from './modelShape';
import { DEFAULT_GPU_MARGIN_MIB, DEFAULT_RAM_MARGIN_MIB, marginOf, type Candidate, type Setup } from './offloadSearch';
import { formatGiB } from './formatGiB';
import type { Measurement, MemoryParts, PlanWishes } from './planTypes';

const layers = (n: number): string => (n === 1 ? '1 layer' : `${n} layers`);

const MEASURED = 'measured fastest';
/** A wish the user set is said "as set"; one a tuning run filled in, "measured fastest". */
const howSet = (wishes: PlanWishes, key: 'gpuLayers' | 'cpuMoeLayers' | 'cacheType' | 'flashAttn'): string =>
  wishes.measured?.[key] !== undefined ? MEASURED : 'as set';

/** The memory numbers a plan's sentences quote, and the budgets they are held to. */
export interface Said {
  /** The numbers are llama.cpp's dry run of the plan, not the estimate. */
  measured: boolean;
  /** One per GPU, in the setup's order. */
  devices: readonly MemoryParts[];
  host: MemoryParts;
  /** Per GPU: its free memory less the margin. */
  gpuBudgets: readonly number[];
  /** RAM available less the RAM margin. */
  ramBudget: number;
  marginMiB: number;
}

/** What the sentences quote while planning: the chosen candidate's estimate against the search's budgets. */
export function saidByEstimate(s: Setup, chosen: Candidate): Said {
  const e = chosen.estimate;
  return { measured: false, devices: e.devices, host: e.host, gpuBudgets: s.gpuBudgets, ramBudget: s.ramBudget, marginMiB: marginOf(s.wishes) };
}

/**
 * What the sentences quote once a dry run measured the plan: its numbers, against the user's margins (the search
 * may have been given a wider GPU margin to correct the estimate; the plan is still held to the user's).
 */
export function saidByMeasurement(hardware: HardwareFacts, m: Measurement): Said {
  const marginMiB = m.marginMiB ?? DEFAULT_GPU_MARGIN_MIB;
  return {
    measured: true,
    devices: hardware.gpus.map((_, i) => m.devices[i] ?? { modelMiB: 0, contextMiB: 0, computeMiB: 0 }),
    host: m.host,
    gpuBudgets: hardware.gpus.map((g) => g.freeMiB - marginMiB),
    ramBudget: hardware.ramAvailableMiB - (m.ramMarginMiB ?? DEFAULT_RAM_MARGIN_MIB),
    marginMiB,
  };
}

function budgetOf(said: Said, i: number): number {
  const budget = said.gpuBudgets[i];
  if (budget === undefined) throw new RangeError(`${said.gpuBudgets.length} GPU budgets for GPU ${i}`);
  return budget;
}

/** Where the layers (and a MoE model's experts) went, and why. */
export function offloadReasons(s: Setup, chosen: Candidate, said: Said = saidByEstimate(s, chosen)): string[] {
  const { shape, hardware, wishes } = s;
  const all = shape.nLayer + 1;
  if (hardware.gpus.length === 0) return [`All ${all} layers on the CPU: no GPU was found.`];
  const reasons: string[] = [];
  const spare = Math.min(...said.devices.map((d, i) => budgetOf(said, i) - totalMiB(d)));
  const gpuWeights = said.devices.reduce((sum, d) => sum + d.modelMiB, 0);
  const where = hardware.gpus.length > 1 ? `${hardware.gpus.length} GPUs` : 'the GPU';
  const over = `${formatGiB(-spare)} more than ${hardware.gpus.length > 1 ? 'their' : 'its'} free memory less the ${formatGiB(said.marginMiB)} margin${said.measured ? ', as the dry run measured it' : ''}`;
  if (said.measured && chosen.gpuLayers > 0 && gpuWeights < 1) {
    // -ngl counts layers, not bytes: the output layer holds nothing of its own when it shares the token embeddings
    // (which stay in RAM), and the dry run's whole MiB round a tiny model's weights to 0. Say what was measured.
    reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}, yet the dry run measures under 1 MiB of weights there and ${formatGiB(said.host.modelMiB)} in RAM.`);
  } else if (typeof wishes.gpuLayers === 'number') reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}, ${howSet(wishes, 'gpuLayers')}.`);
  else if (chosen.gpuLayers === all && spare < 0) reasons.push(`${all} of ${all} layers on ${where}, ${over}.`);
  else if (chosen.gpuLayers === all && chosen.cpuMoe === 0) reasons.push(`${all} of ${all} layers on ${where}: the model fits with ${formatGiB(spare)} to spare.`);
  else if (chosen.gpuLayers === all) reasons.push(`${all} of ${all} layers on ${where}, with the expert tensors of ${chosen.cpuMoe} of ${shape.nLayer} layers in RAM: experts are the cheapest part to run on the CPU.`);
  else if (chosen.gpuLayers > 0 && spare < 0) reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where} (${formatGiB(gpuWeights)} of weights), ${over}.`);
  else if (chosen.gpuLayers > 0) reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where} (${formatGiB(gpuWeights)} of weights): that is as many as fit with a ${formatGiB(said.marginMiB)} margin; the rest run on the CPU.`);
  else reasons.push(`0 of ${all} layers on ${where}: not even one layer fits in its free memory.`);
  const moe = isMoe(shape);
  if (moe && chosen.gpuLayers < all && chosen.gpuLayers > 0 && typeof wishes.cpuMoeLayers !== 'number') {
    reasons.push('Every expert tensor stays in RAM (--cpu-moe), and still not every layer fits on the GPU.');
  } else if (moe && typeof wishes.cpuMoeLayers === 'number') {
    reasons.push(`Expert tensors of ${chosen.cpuMoe} layers in RAM, ${howSet(wishes, 'cpuMoeLayers')}.`);
  }
  if (s.tensorSplit) reasons.push(`Layers split ${s.tensorSplit.join(':')} across the GPUs, in proportion to their free memory.`);
  return reasons;
}

/** The KV cache type and flash attention, against the f16 baseline (a comparison of estimates: it is why the type was chosen). */
export function cacheReasons(s: Setup, chosen: Candidate, baseline: Candidate, said: Said = saidByEstimate(s, chosen)): string[] {
  const e = chosen.estimate;
  const reasons: string[] = [];
  const fa = s.wishes.flashAttn ?? 'auto';
  if (chosen.cacheType !== 'f16' || e.cacheTypeV !== 'f16') {
    if (chosen !== baseline) {
      const gain = !baseline.fits
        ? 'with f16 the model does not fit at all'
        : chosen.gpuLayers > baseline.gpuLayers
          ? `it puts ${layers(chosen.gpuLayers - baseline.gpuLayers)} more on the GPU than f16`
          : `it keeps the experts of ${layers(baseline.cpuMoe - chosen.cpuMoe)} fewer in RAM than f16`;
      reasons.push(`KV cache ${chosen.cacheType} with flash attention: ${gain}.`);
    } else reasons.push(`KV cache K ${chosen.cacheType}, V ${e.cacheTypeV}, ${howSet(s.wishes, 'cacheType')}.`);
  } else {
    reasons.push(`KV cache f16 (${formatGiB(said.host.contextMiB + said.devices.reduce((a, d) => a + d.contextMiB, 0))}): a quantized cache would not put more on the GPU.`);
  }
  if (fa === 'on' || fa === 'off') reasons.push(`Flash attention ${fa}, ${howSet(s.wishes, 'flashAttn')}.`);
  else if (chosen.cacheType === 'f16') reasons.push('Flash attention on: it keeps the compute buffer small at long contexts.');
  return reasons;
}

/** What is short where, when the numbers said do not fit their budgets. */
export function shortfallWarnings(s: Setup, said: Said): string[] {
  const warnings: string[] = [];
  const names = s.hardware.gpus.map((g) => g.name);
  for (const [i, d] of said.devices.entries()) {
    const budget = budgetOf(said, i);
    const short = totalMiB(d) - budget;
    if (short > 0) warnings.push(`${names[i] ?? `GPU ${i}`} is ${formatGiB(short)} short: it needs ${formatGiB(totalMiB(d))} and has ${formatGiB(budget)} free after the margin${said.measured ? ' (measured by the dry run)' : ''}.`);
  }
  const hostTotal = totalMiB(said.host);
  if (hostTotal > said.ramBudget) {
    warnings.push(`RAM is ${formatGiB(hostTotal - said.ramBudget)} short: the CPU part needs ${formatGiB(hostTotal)} and ${formatGiB(said.ramBudget)} is available after the margin${said.measured ? ' (measured by the dry run)' : ''}.`);
  }
  return warnings;
}

/** Threads: the setting, or one per physical core. */
export function threadsFor(hardware: HardwareFacts, threads: number | 'auto' | undefined, measured = false): { threads: number; reason: string } {
  if (typeof threads === 'number' && threads > 0) return { threads: Math.floor(threads), reason: `${Math.floor(threads)} threads, ${measured ? MEASURED : 'as set'}.` };
  const n = Math.max(1, hardware.physicalCores);
  return { threads: n, reason: `${n} threads: one per physical core.` };
}
