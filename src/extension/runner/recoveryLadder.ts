import type { KvCacheType } from '../memory/estimate';
import type { FailureKind } from '../llama/logClassifier';

/** The memory knobs of one launch, as the ladder sees them. */
export interface LaunchShape {
  /** Layers on the GPU; 0 when there is no GPU. */
  gpuLayers: number;
  totalLayers: number;
  /** Layers whose MoE expert weights stay in system RAM (0 for dense models). */
  cpuMoeLayers: number;
  isMoe: boolean;
  ubatch: number;
  cacheType: KvCacheType;
  contextSize: number;
}

/** What the next attempt changes; the planner honours these as overrides. */
export interface RecoveryOverrides {
  gpuLayers?: number;
  cpuMoeLayers?: number;
  ubatch?: number;
  batch?: number;
  cacheTypeK?: KvCacheType;
  cacheTypeV?: KvCacheType;
  flashAttn?: 'on';
  contextSize?: number;
}

export interface RecoveryStep {
  overrides: RecoveryOverrides;
  /** What changed and what it costs, in plain words for the user. */
  change: string;
}

export const MAX_RECOVERY_STEPS = 4;
const MIN_CONTEXT = 2048;
const MEMORY_FAILURES: readonly FailureKind[] = ['out-of-gpu-memory', 'out-of-ram', 'mmap-failed'];

type Rung = (s: LaunchShape, gpuFailure: boolean) => RecoveryStep | undefined;

/** Each rung gives up a little speed or capacity for memory, cheapest first. */
const RUNGS: readonly Rung[] = [
  (s, gpuFailure) => {
    if (!gpuFailure || s.gpuLayers <= 0) return undefined;
    if (s.isMoe && s.cpuMoeLayers < s.totalLayers) {
      const more = Math.max(1, Math.ceil(s.totalLayers / 4));
      const cpuMoeLayers = Math.min(s.totalLayers, s.cpuMoeLayers + more);
      return {
        overrides: { cpuMoeLayers },
        change: `Kept the expert weights of ${cpuMoeLayers} of ${s.totalLayers} layers in system RAM (was ${s.cpuMoeLayers}): the GPU needs less memory; generation is somewhat slower.`,
      };
    }
    const gpuLayers = Math.floor(s.gpuLayers * 0.8);
    return {
      overrides: { gpuLayers },
      change: `Put ${gpuLayers} of ${s.totalLayers} layers on the GPU instead of ${s.gpuLayers}: the rest run on the CPU, so generation is slower.`,
    };
  },
  (s) =>
    s.ubatch > 256
      ? {
          overrides: { ubatch: 256, batch: 512 },
          change: `Halved the batch to 256 tokens (was ${s.ubatch}): smaller compute buffers; long prompts are read a little slower, generation speed is unchanged.`,
        }
      : undefined,
  (s) =>
    s.cacheType === 'f16'
      ? {
          overrides: { cacheTypeK: 'q8_0', cacheTypeV: 'q8_0', flashAttn: 'on' },
          change: 'Stored the KV cache as 8-bit (q8_0) instead of 16-bit, with flash attention: the cache takes half the memory, at a very small quality cost.',
        }
      : undefined,
  (s) => {
    const contextSize = Math.max(MIN_CONTEXT, Math.floor(s.contextSize / 2 / 256) * 256);
    return contextSize < s.contextSize
      ? {
          overrides: { contextSize },
          change: `Reduced the context from ${s.contextSize} to ${contextSize} tokens: the model sees less of a long conversation.`,
        }
      : undefined;
  },
];

/**
 * The next step down after a memory failure, or undefined when there is none (not a memory failure,
 * the step budget is spent, or every rung is exhausted). Step k starts looking at rung k, so the
 * ladder walks down (layers, batch, KV cache, context) instead of repeating its first rung; every
 * rung strictly reduces, so it cannot loop.
 */
export function nextRecoveryStep(shape: LaunchShape, failure: FailureKind, stepsTaken: number): RecoveryStep | undefined {
  if (!MEMORY_FAILURES.includes(failure) || stepsTaken >= MAX_RECOVERY_STEPS) return undefined;
  const gpuFailure = failure === 'out-of-gpu-memory';
  for (const rung of RUNGS.slice(Math.min(stepsTaken, RUNGS.length - 1))) {
    const step = rung(shape, gpuFailure);
    if (step) return step;
  }
  return undefined;
}

/** The shape after applying a step's overrides. */
export function applyStep(shape: LaunchShape, o: RecoveryOverrides): LaunchShape {
  return {
    ...shape,
    gpuLayers: o.gpuLayers ?? shape.gpuLayers,
    cpuMoeLayers: o.cpuMoeLayers ?? shape.cpuMoeLayers,
    ubatch: o.ubatch ?? shape.ubatch,
    cacheType: o.cacheTypeK ?? shape.cacheType,
    contextSize: o.contextSize ?? shape.contextSize,
  };
}
