import { isLiveSource, type HardwareFacts } from './hardware';
import { formatGiB } from './formatGiB';

export type MemoryAlert =
  | { kind: 'vram-taken'; device: string; freeMiB: number; marginMiB: number; message: string }
  | { kind: 'spilled-to-ram'; device: string; expectedMiB: number; actualMiB: number; message: string }
  | { kind: 'ram-low'; availableMiB: number; marginMiB: number; message: string }
  | { kind: 'slow-generation'; tokensPerSecond: number; expectedTokensPerSecond: number; message: string };

export interface WatchInput {
  facts: HardwareFacts;
  /** VRAM the server itself holds per GPU index (nvidia-smi compute apps), when known. */
  serverVramMiB?: ReadonlyMap<number, number>;
  /** VRAM the plan put on each GPU index (model + context + compute). */
  plannedVramMiB: ReadonlyMap<number, number>;
  marginMiB: number;
  ramMarginMiB: number;
  /** Generation speed (tokens/s) of this server's replies, oldest first. */
  replyTokensPerSecond?: readonly number[];
  /** The speed this plan is known to reach on this machine (a tuned figure); else its first replies stand for it. */
  expectedTokensPerSecond?: number;
}

/** Replies that make a speed: the first ones (the expectation) and the last ones (now). */
const SPEED_REPLIES = 3;
/**
 * A spill to system RAM makes generation 5-20x slower; a long context alone rarely costs more than half. A third
 * of the expected speed is past anything but a spill (or another program taking the GPU).
 */
const SLOW_SHARE = 1 / 3;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Generation much slower than expected: the sign of a spill where nothing reports the server's own VRAM (Windows'
 * CUDA driver pages VRAM out to system RAM instead of failing, and nvidia-smi reads [N/A] per process there).
 */
function slowGeneration(speeds: readonly number[], tuned: number | undefined): MemoryAlert | undefined {
  const valid = speeds.filter((v) => Number.isFinite(v) && v > 0);
  const expected = tuned ?? (valid.length >= 2 * SPEED_REPLIES ? median(valid.slice(0, SPEED_REPLIES)) : undefined);
  if (expected === undefined || valid.length < SPEED_REPLIES) return undefined;
  const now = median(valid.slice(-SPEED_REPLIES));
  if (now >= expected * SLOW_SHARE) return undefined;
  return {
    kind: 'slow-generation',
    tokensPerSecond: now,
    expectedTokensPerSecond: expected,
    message: `Replies come at ${now.toFixed(1)} tokens/s, down from ${expected.toFixed(1)}: part of the model has most likely spilled from VRAM to system RAM (the driver does this silently when VRAM runs short). Re-plan with fewer layers on the GPU.`,
  };
}


/**
 * Compares a live sample with the plan: another program taking VRAM below the margin, the model
 * holding clearly less VRAM than planned (the driver spilled it to system RAM, which is slow), or
 * system RAM running out, or replies slowing down
 * several-fold (a spill nothing else shows). Only live GPU samples count (nvidia-smi, sysfs). Pure: the caller samples and decides how to warn.
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
    // Where the server's own VRAM is unknown (nvidia-smi's [N/A] per process on Windows), the device's total use
    // bounds it: a device holding less than the plan alone cannot hold the whole plan.
    const actual = input.serverVramMiB?.get(gpu.index) ?? gpu.usedMiB;
    if (actual < planned * 0.85 && planned - actual > 256) {
      alerts.push({
        kind: 'spilled-to-ram',
        device: gpu.name,
        expectedMiB: planned,
        actualMiB: actual,
        message: `llama-server holds ${formatGiB(actual)} of VRAM on ${gpu.name} but the plan put ${formatGiB(planned)} there: part of the model spilled to system RAM, which is much slower. Re-plan with fewer layers on the GPU.`,
      });
    }
  }
  const slow = slowGeneration(input.replyTokensPerSecond ?? [], input.expectedTokensPerSecond);
  if (slow) alerts.push(slow);
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
