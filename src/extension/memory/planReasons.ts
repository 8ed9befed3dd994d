// The planner's reasons and warnings: one plain sentence per choice, said the way the plan panel, the CLI and
// the status bar show them.
import { totalMiB } from './estimate';
import type { HardwareFacts } from './hardware';
import { isMoe } from './modelShape';
import { gpuBudget, marginOf, type Candidate, type Setup } from './offloadSearch';
import { formatGiB } from './formatGiB';

const layers = (n: number): string => (n === 1 ? '1 layer' : `${n} layers`);

/** Where the layers (and a MoE model's experts) went, and why. */
export function offloadReasons(s: Setup, chosen: Candidate): string[] {
  const { shape, hardware, wishes } = s;
  const e = chosen.estimate;
  const all = shape.nLayer + 1;
  if (hardware.gpus.length === 0) return [`All ${all} layers on the CPU: no GPU was found.`];
  const reasons: string[] = [];
  const gpuFree = e.devices.map((d, i) => gpuBudget(s, i) - totalMiB(d));
  const spare = Math.min(...gpuFree);
  const where = hardware.gpus.length > 1 ? `${hardware.gpus.length} GPUs` : 'the GPU';
  if (typeof wishes.gpuLayers === 'number') reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}, as set.`);
  else if (chosen.gpuLayers === all && chosen.cpuMoe === 0) reasons.push(`${all} of ${all} layers on ${where}: the model fits with ${formatGiB(spare)} to spare.`);
  else if (chosen.gpuLayers === all) reasons.push(`${all} of ${all} layers on ${where}, with the expert tensors of ${chosen.cpuMoe} of ${shape.nLayer} layers in RAM: experts are the cheapest part to run on the CPU.`);
  else if (chosen.gpuLayers > 0) reasons.push(`${chosen.gpuLayers} of ${all} layers on ${where}: that is as many as fit with a ${formatGiB(marginOf(wishes))} margin; the rest run on the CPU.`);
  else reasons.push(`0 of ${all} layers on ${where}: not even one layer fits in its free memory.`);
  const moe = isMoe(shape);
  if (moe && chosen.gpuLayers < all && chosen.gpuLayers > 0 && typeof wishes.cpuMoeLayers !== 'number') {
    reasons.push('Every expert tensor stays in RAM (--cpu-moe), and still not every layer fits on the GPU.');
  } else if (moe && typeof wishes.cpuMoeLayers === 'number') {
    reasons.push(`Expert tensors of ${chosen.cpuMoe} layers in RAM, as set.`);
  }
  if (s.tensorSplit) reasons.push(`Layers split ${s.tensorSplit.join(':')} across the GPUs, in proportion to their free memory.`);
  return reasons;
}

/** The KV cache type and flash attention, against the f16 baseline. */
export function cacheReasons(s: Setup, chosen: Candidate, baseline: Candidate): string[] {
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
    } else reasons.push(`KV cache K ${chosen.cacheType}, V ${e.cacheTypeV}, as set.`);
  } else {
    reasons.push(`KV cache f16 (${formatGiB(e.host.contextMiB + e.devices.reduce((a, d) => a + d.contextMiB, 0))}): a quantized cache would not put more on the GPU.`);
  }
  if (fa === 'on' || fa === 'off') reasons.push(`Flash attention ${fa}, as set.`);
  else if (chosen.cacheType === 'f16') reasons.push('Flash attention on: it keeps the compute buffer small at long contexts.');
  return reasons;
}

/** What is short where, when the chosen candidate does not fit. */
export function shortfallWarnings(s: Setup, chosen: Candidate): string[] {
  if (chosen.fits) return [];
  const e = chosen.estimate;
  const warnings: string[] = [];
  for (const [i, d] of e.devices.entries()) {
    const budget = gpuBudget(s, i);
    const short = totalMiB(d) - budget;
    if (short > 0) warnings.push(`${d.name} is ${formatGiB(short)} short: it needs ${formatGiB(totalMiB(d))} and has ${formatGiB(budget)} free after the margin.`);
  }
  const hostTotal = totalMiB(e.host);
  if (hostTotal > s.ramBudget) warnings.push(`RAM is ${formatGiB(hostTotal - s.ramBudget)} short: the CPU part needs ${formatGiB(hostTotal)} and ${formatGiB(s.ramBudget)} is available after the margin.`);
  return warnings;
}

/** Threads: the setting, or one per physical core. */
export function threadsFor(hardware: HardwareFacts, threads: number | 'auto' | undefined): { threads: number; reason: string } {
  if (typeof threads === 'number' && threads > 0) return { threads: Math.floor(threads), reason: `${Math.floor(threads)} threads, as set.` };
  const n = Math.max(1, hardware.physicalCores);
  return { threads: n, reason: `${n} threads: one per physical core.` };
}
