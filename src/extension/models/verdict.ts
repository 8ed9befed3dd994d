// Will this model fit here? An interim, size-based answer until the memory planner (issue 3)
// supplies its own VerdictFn: weights per layer against free VRAM, the rest against free RAM,
// with a flat allowance for the KV cache and compute buffers.
import type { HardwareFacts } from '../memory/hardware';
import { formatBytes } from './format';
import type { ModelDescription } from '../gguf/header';
import type { WeightsLayout } from './modelSummary';
import type { ModelShape } from '../memory/modelShape';

export type VerdictKind = 'gpu' | 'partial' | 'cpu' | 'no-fit';

export interface Verdict {
  readonly kind: VerdictKind;
  /** "fully on GPU", "32/33 layers on GPU", "on CPU (RAM)", "does not fit: needs 41 GB, 30 GB free". */
  readonly text: string;
  /** Layers offloaded, counting the output head as one layer as llama.cpp's "offloaded 32/33 layers" does. */
  readonly gpuLayers?: number;
  readonly totalLayers?: number;
}

/** What a verdict is judged from: the weights' layout, and the header's hyper-parameters when it was read. */
export interface VerdictInput extends WeightsLayout {
  /** Absent for a catalogue entry judged by its size alone. */
  readonly description?: ModelDescription;
  /** Present when the header was read and the planner can plan it: the verdict is then the plan's. */
  readonly shape?: ModelShape;
}

/** The seam the planner replaces: a model and this machine's memory in, a verdict out. */
export type VerdictFn = (model: VerdictInput, hardware: HardwareFacts) => Verdict;

const MiB = 1024 * 1024;
/** KV cache and compute buffers at a modest context, as a share of the weights... */
const OVERHEAD_SHARE = 0.15;
/** ...and at least this much, kept free for the desktop and other apps on each side. */
const RESERVE_BYTES = 512 * MiB;

/** Lower is better; used to sort models and quants. */
export const VERDICT_ORDER: Readonly<Record<VerdictKind, number>> = { gpu: 0, partial: 1, cpu: 2, 'no-fit': 3 };

export const sizeVerdict: VerdictFn = (model, hardware) => {
  const need = (bytes: number): number => bytes * (1 + OVERHEAD_SHARE);
  const ram = Math.max(0, hardware.ramAvailableMiB * MiB - RESERVE_BYTES);
  // A GPU with unified memory (Metal) holds its part in that same RAM: one pool, not two.
  const shared = hardware.gpus.some((g) => g.source === 'unified');
  const gpuFree = Math.max(0, hardware.gpus.reduce((s, g) => s + g.freeMiB, 0) * MiB - RESERVE_BYTES);
  const vram = shared ? Math.min(gpuFree, ram) : gpuFree;
  const total = need(model.tensorBytes);
  const layers = model.layerBytes.length;
  const totalLayers = layers > 0 ? layers + 1 : undefined;
  if (hardware.gpus.length > 0 && total <= vram) return { kind: 'gpu', text: 'fully on GPU', gpuLayers: totalLayers, totalLayers };
  if (hardware.gpus.length > 0 && layers > 0) {
    // llama.cpp offloads the last layers first; the output head counts as the final one.
    let onGpu = 0;
    let used = 0;
    for (const bytes of [...model.layerBytes].reverse()) {
      if (used + need(bytes) > vram) break;
      used += need(bytes);
      onGpu++;
    }
    if (onGpu > 0 && total - used <= (shared ? ram - used : ram)) {
      return { kind: 'partial', text: `${onGpu}/${totalLayers} layers on GPU`, gpuLayers: onGpu, totalLayers };
    }
  }
  if (total <= ram) {
    return { kind: 'cpu', text: hardware.gpus.length > 0 ? 'on CPU (too big for the GPU)' : 'on CPU (RAM)', gpuLayers: 0, totalLayers };
  }
  const free = shared ? ram : vram + ram;
  return { kind: 'no-fit', text: `does not fit: needs ${formatBytes(total)}, ${formatBytes(free)} free`, gpuLayers: 0, totalLayers };
};
