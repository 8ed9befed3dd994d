import type { HardwareFacts } from './hardware';
import type { Plan } from './planTypes';
import { formatGiB } from './formatGiB';

/** Typical bits per weight of llama.cpp's quantizations (llama-quantize's table), best first. */
export const QUANT_BITS: readonly (readonly [string, number])[] = [
  ['Q8_0', 8.5],
  ['Q6_K', 6.56],
  ['Q5_K_M', 5.69],
  ['Q4_K_M', 4.85],
  ['IQ4_XS', 4.25],
  ['Q3_K_M', 3.91],
  ['Q2_K', 3.35],
];


/**
 * When the model does not fit in RAM (failed to mmap, killed by the OS): how much is missing, and the
 * best quantization of the same model whose weights would fit next to the same context and buffers.
 */
export function ramShortfallAdvice(p: Plan, hardware: HardwareFacts, parameterCount: number, ramMarginMiB = 1024): string {
  const hostNeed = p.host.modelMiB + p.host.contextMiB + p.host.computeMiB;
  const ram = hardware.ramAvailableMiB - ramMarginMiB;
  const missing = hostNeed - ram;
  const head = missing > 0
    ? `The part of the model that runs on the CPU needs ${formatGiB(hostNeed)} of RAM, and ${formatGiB(Math.max(0, ram))} is available: ${formatGiB(missing)} is missing.`
    : `The model needs ${formatGiB(hostNeed)} of RAM and ${formatGiB(Math.max(0, ram))} looked available, but the system refused it (another program may have taken it).`;
  const vram = p.devices.reduce((s, d) => s + d.modelMiB, 0);
  const overhead = p.host.contextMiB + p.host.computeMiB;
  const fits = QUANT_BITS.find(([, bits]) => (parameterCount * bits) / 8 / 2 ** 20 - vram + overhead <= ram);
  if (!fits) return `${head} Even a 2-bit quantization of this model would not fit; choose a smaller model or close other programs.`;
  const size = (parameterCount * fits[1]) / 8 / 2 ** 30;
  return `${head} A ${fits[0]} file of this model (about ${size.toFixed(1)} GB) would fit.`;
}
