// Quant advice: given several quantizations of one model, which runs best on this machine.
// Policy: the highest-quality quant that runs fully on the GPU(s); else the one that puts the most of
// the model on the GPU (estimated speed) and still fits RAM; one plain sentence says why.
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from './hardware';
import { isMoe, modelShape, type ModelShape } from './modelShape';
import { plan, type Plan, type PlanWishes } from './plan';

export type QuantFit = 'gpu' | 'split' | 'cpu' | 'none';

export interface QuantCandidate {
  /** A label such as the file name or "Q4_K_M". */
  label: string;
  header: GgufHeader | ModelShape;
}

export interface RankedQuant {
  label: string;
  /** The quant name from the file type (Q4_K_M), else from the label. */
  quant: string;
  fileMiB: number;
  /** Bits per weight (file bytes * 8 / parameters): the quality order. */
  bitsPerWeight: number;
  /** gpu: fully on GPU; split: GPU and RAM; cpu: no GPU (or nothing on it) but fits RAM; none: does not fit. */
  fit: QuantFit;
  /** Share of the weights on GPUs, 0..1: the speed proxy. */
  gpuShare: number;
  plan: Plan;
  /** One sentence about this quant on this machine. */
  summary: string;
}

export interface QuantAdvice {
  ranked: RankedQuant[];
  recommended?: RankedQuant;
  /** One sentence: why the recommendation. */
  why: string;
}

const FIT_ORDER: Record<QuantFit, number> = { gpu: 0, split: 1, cpu: 2, none: 3 };

function quantName(shape: ModelShape, label: string): string {
  if (shape.fileTypeName) return shape.fileTypeName;
  const quant = /(IQ\d_[A-Z]+|Q\d_K_[SML]|Q\d_K|Q\d_\d|BF16|F16|F32)/i.exec(label)?.[1];
  return quant ? quant.toUpperCase() : label;
}

function gpuMemoryWords(hardware: HardwareFacts): string {
  if (hardware.gpus.length === 0) return 'this machine';
  const total = hardware.gpus.reduce((a, g) => a + g.totalMiB, 0);
  const gb = Math.round(total / 1024);
  return hardware.gpus.length === 1 ? `your ${gb} GB GPU` : `your ${hardware.gpus.length} GPUs (${gb} GB)`;
}

function describe(r: Omit<RankedQuant, 'summary'>, hardware: HardwareFacts, moe: boolean): string {
  const p = r.plan;
  const { onGpu, total } = p.gpuLayers;
  switch (r.fit) {
    case 'gpu':
      return `${r.quant} runs fully on ${gpuMemoryWords(hardware)}`;
    case 'split':
      if (moe && onGpu === total && p.cpuMoeLayers > 0) return `${r.quant} would keep the experts of ${p.cpuMoeLayers} of ${total - 1} layers in RAM`;
      return `${r.quant} would put ${total - onGpu} of ${total} layers on the CPU`;
    case 'cpu':
      return hardware.gpus.length === 0 ? `${r.quant} runs on the CPU in ${(r.fileMiB / 1024).toFixed(1)} GB of RAM` : `${r.quant} would run entirely on the CPU`;
    case 'none':
      return `${r.quant} does not fit this machine's memory`;
  }
}

export function rankQuants(candidates: readonly QuantCandidate[], hardware: HardwareFacts, wishes: PlanWishes = {}): QuantAdvice {
  const ranked: RankedQuant[] = candidates.map((c) => {
    const shape = 'nLayer' in c.header ? c.header : modelShape(c.header);
    const p = plan(shape, hardware, wishes);
    const params = shape.tensors.reduce((a, t) => a + t.dims.reduce((x, y) => x * y, 1), 0);
    const gpuMiB = p.devices.reduce((a, d) => a + d.modelMiB, 0);
    const weightsMiB = gpuMiB + p.host.modelMiB;
    const gpuShare = weightsMiB > 0 ? gpuMiB / weightsMiB : 0;
    const full = p.gpuLayers.onGpu === p.gpuLayers.total && p.cpuMoeLayers === 0 && hardware.gpus.length > 0;
    const fit: QuantFit = !p.fits ? 'none' : full ? 'gpu' : gpuShare > 0 ? 'split' : 'cpu';
    const base = {
      label: c.label,
      quant: quantName(shape, c.label),
      fileMiB: shape.totalBytes / (1024 * 1024),
      bitsPerWeight: params > 0 ? (shape.totalBytes * 8) / params : 0,
      fit,
      gpuShare,
      plan: p,
    };
    return { ...base, summary: describe(base, hardware, isMoe(shape)) };
  });
  ranked.sort((a, b) => {
    if (FIT_ORDER[a.fit] !== FIT_ORDER[b.fit]) return FIT_ORDER[a.fit] - FIT_ORDER[b.fit];
    if (a.fit === 'gpu' || a.fit === 'cpu') return b.bitsPerWeight - a.bitsPerWeight;
    if (a.fit === 'split') return b.gpuShare - a.gpuShare || b.bitsPerWeight - a.bitsPerWeight;
    return a.fileMiB - b.fileMiB;
  });
  const recommended = ranked.find((r) => r.fit !== 'none');
  let why: string;
  if (!recommended) {
    const smallest = ranked[0];
    why = smallest === undefined ? 'No quantizations to compare.' : `None of these quantizations fits; the smallest, ${smallest.quant}, needs more memory than this machine has free.`;
  } else {
    const better = ranked.filter((r) => r !== recommended && r.bitsPerWeight > recommended.bitsPerWeight).sort((a, b) => a.bitsPerWeight - b.bitsPerWeight)[0];
    const first = `${recommended.summary}`;
    if (better) why = `${first}; ${better.summary}.`;
    else if (recommended.fit === 'split') why = `${first}, the most on the GPU of those that fit.`;
    else why = `${first}, the highest quality of these.`;
  }
  return { ranked, recommended, why };
}
