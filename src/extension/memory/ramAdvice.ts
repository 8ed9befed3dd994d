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

/** The smallest context the advice offers: below it a coding conversation hardly fits. */
const MIN_ADVISED_CONTEXT = 2048;

const hostNeedMiB = (p: Plan): number => p.host.modelMiB + p.host.contextMiB + p.host.computeMiB;

/** The best quantization of the same model whose weights fit RAM next to the same GPU share, context and buffers. */
function quantThatFits(p: Plan, parameterCount: number, ramMiB: number): { name: string; gb: number } | undefined {
  const vram = p.devices.reduce((s, d) => s + d.modelMiB, 0);
  const overhead = p.host.contextMiB + p.host.computeMiB;
  const weightsMiB = (bits: number): number => (parameterCount * bits) / 8 / 2 ** 20;
  const fits = QUANT_BITS.find(([, bits]) => weightsMiB(bits) - vram + overhead <= ramMiB);
  return fits && { name: fits[0], gb: (parameterCount * fits[1]) / 8 / 2 ** 30 };
}

/** The largest halving of the plan's context (not below 2048) whose KV cache in RAM leaves the rest fitting. */
function contextThatFits(p: Plan, ramMiB: number): number | undefined {
  if (p.host.contextMiB <= 0) return undefined;
  for (let ctx = Math.floor(p.contextSize / 2); ctx >= MIN_ADVISED_CONTEXT; ctx = Math.floor(ctx / 2)) {
    if (hostNeedMiB(p) - p.host.contextMiB * (1 - ctx / p.contextSize) <= ramMiB) return ctx;
  }
  return undefined;
}

/**
 * When the model does not fit in RAM (failed to mmap, killed by the OS): how much is missing, and the
 * best quantization of the same model whose weights would fit next to the same context and buffers.
 */
export function ramShortfallAdvice(p: Plan, hardware: HardwareFacts, parameterCount: number, ramMarginMiB = 1024): string {
  const hostNeed = hostNeedMiB(p);
  const ram = hardware.ramAvailableMiB - ramMarginMiB;
  const missing = hostNeed - ram;
  const head = missing > 0
    ? `The part of the model that runs on the CPU needs ${formatGiB(hostNeed)} of RAM, and ${formatGiB(Math.max(0, ram))} is available: ${formatGiB(missing)} is missing.`
    : `The model needs ${formatGiB(hostNeed)} of RAM and ${formatGiB(Math.max(0, ram))} looked available, but the system refused it (another program may have taken it).`;
  const quant = quantThatFits(p, parameterCount, ram);
  if (!quant) return `${head} Even a 2-bit quantization of this model would not fit; choose a smaller model or close other programs.`;
  return `${head} A ${quant.name} file of this model (about ${quant.gb.toFixed(1)} GB) would fit.`;
}

/** What the advice needs to know of the model file (describeModel gives it). */
export interface ModelSize {
  parameterCount: number;
  tensorBytes: number;
  /** The file's quantization, e.g. "Q4_K_M": never offered as the smaller one. */
  fileTypeName?: string;
}

/**
 * A plan short of RAM (once the refit has moved to the GPU what fits there): what would make it fit, a smaller
 * quantization of the same model (its weights in RAM scaled by bits per weight, the rest as measured) or a smaller
 * context. Undefined when RAM is not short.
 */
export function ramFitAdvice(p: Plan, hardware: HardwareFacts, model: ModelSize, ramMarginMiB = 1024): string | undefined {
  const ram = hardware.ramAvailableMiB - ramMarginMiB;
  if (hostNeedMiB(p) <= ram) return undefined;
  const bitsNow = model.parameterCount > 0 ? (model.tensorBytes * 8) / model.parameterCount : 0;
  const rest = p.host.contextMiB + p.host.computeMiB;
  const smaller = QUANT_BITS.find(([name, bits]) => bits < bitsNow && name !== model.fileTypeName && (p.host.modelMiB * bits) / bitsNow + rest <= ram);
  const ctx = contextThatFits(p, ram);
  const options = [
    ...(smaller ? [`the ${smaller[0]} quantization of this model (about ${((model.parameterCount * smaller[1]) / 8 / 2 ** 30).toFixed(1)} GB)`] : []),
    ...(ctx !== undefined ? [`a context of ${ctx} tokens (--ctx ${ctx})`] : []),
  ];
  if (options.length === 0) return `Not even a 2-bit quantization or a ${MIN_ADVISED_CONTEXT}-token context would fit RAM; choose a smaller model or close other programs.`;
  return `RAM would fit ${options.join(' or ')}.`;
}
