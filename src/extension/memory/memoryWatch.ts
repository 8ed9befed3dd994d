import { isLiveSource, type HardwareFacts } from './hardware';
import { formatGiB } from './formatGiB';

export type MemoryAlert =
  | { kind: 'vram-taken'; device: string; freeMiB: number; marginMiB: number; message: string }
  | { kind: 'spilled-to-ram'; device: string; expectedMiB: number; actualMiB: number; message: string }
  | { kind: 'ram-low'; availableMiB: number; marginMiB: number; message: string };

export interface WatchInput {
  facts: HardwareFacts;
  /** VRAM the server itself holds per GPU index (nvidia-smi compute apps), when known. */
  serverVramMiB?: ReadonlyMap<number, number>;
  /** VRAM the plan put on each GPU index (model + context + compute). */
  plannedVramMiB: ReadonlyMap<number, number>;
  marginMiB: number;
  ramMarginMiB: number;
}


/**
 * Compares a live sample with the plan: another program taking VRAM below the margin, the model
 * holding clearly less VRAM than planned (the driver spilled it to system RAM, which is slow), or
 * system RAM running out. Only live GPU samples count (nvidia-smi, sysfs). Pure: the caller samples and decides how to warn.
 */
export function assessMemory(input: WatchInput): MemoryAlert[] {
  const alerts: MemoryAlert[] = [];
  for (const gpu of input.facts.gpus) {
    const planned = input.plannedVramMiB.get(gpu.index) ?? 0;
    // A figure read at start says nothing about now; unified memory is RAM, watched below.
    if (planned <= 0 || !isLiveSource(gpu.source)) continue;
    if (gpu.freeMiB < input.marginMiB / 2) {
      alerts.push({
        kind: 'vram-taken',
        device: gpu.name,
        freeMiB: gpu.freeMiB,
        marginMiB: input.marginMiB,
        message: `Only ${formatGiB(gpu.freeMiB)} of VRAM is left on ${gpu.name} (the plan keeps ${formatGiB(input.marginMiB)} free): another program is using the GPU. Replies may fail or slow down; re-plan to fit the memory that is left.`,
      });
    }
    const actual = input.serverVramMiB?.get(gpu.index);
    if (actual !== undefined && actual < planned * 0.85 && planned - actual > 256) {
      alerts.push({
        kind: 'spilled-to-ram',
        device: gpu.name,
        expectedMiB: planned,
        actualMiB: actual,
        message: `llama-server holds ${formatGiB(actual)} of VRAM on ${gpu.name} but the plan put ${formatGiB(planned)} there: part of the model spilled to system RAM, which is much slower. Re-plan with fewer layers on the GPU.`,
      });
    }
  }
  if (input.facts.ramAvailableMiB < input.ramMarginMiB) {
    alerts.push({
      kind: 'ram-low',
      availableMiB: input.facts.ramAvailableMiB,
      marginMiB: input.ramMarginMiB,
      message: `System RAM is nearly full (${formatGiB(input.facts.ramAvailableMiB)} available): the system may start swapping or kill llama-server.`,
    });
  }
  return alerts;
}
