import { HeadroomError } from '../common/errors';
import type { Failure } from '../llama/logClassifier';
import { nextRecoveryStep, type LaunchShape, type RecoveryOverrides, type RecoveryStep } from './recoveryLadder';
import { ServerLoadError } from '../llama/serverLoadError';
import type { ReadyServer, ResolvedBinary, ServerConfig, Supervisor } from '../llama/supervisor';

/** One planned launch: the planner's llama-server arguments and the knobs the ladder can turn. */
export interface PlannedLaunch {
  planArgs: string[];
  contextSize: number;
  shape: LaunchShape;
}

export type PlanFor = (overrides: RecoveryOverrides, binary: ResolvedBinary) => Promise<PlannedLaunch>;

export interface RecoveryDeps {
  supervisor: Supervisor;
  /** Plans a launch with this build, honouring the overrides accumulated so far ({} at first). */
  planFor: PlanFor;
  onRecovery?(step: RecoveryStep, failure: Failure): void;
}

/** Where the ladder stands for a running server, so a crash can continue down from there. */
export interface RecoveryState {
  binary: ResolvedBinary;
  launch: PlannedLaunch;
  overrides: RecoveryOverrides;
  steps: number;
  /** What the ladder changed, in plain words; empty when the first try worked. */
  changes: string[];
}

export type BaseConfig = Omit<ServerConfig, 'planArgs' | 'contextSize'>;

/**
 * Plans and starts the server; when it runs out of memory while loading, steps down the recovery
 * ladder (fewer GPU layers or more experts on CPU, smaller batch, quantized KV cache, smaller
 * context) and tries again, a bounded number of times.
 */
export async function startWithRecovery(deps: RecoveryDeps, base: BaseConfig): Promise<{ server: ReadyServer; state: RecoveryState }> {
  let overrides: RecoveryOverrides = {};
  const changes: string[] = [];
  for (let steps = 0; ; steps++) {
    let planned: { binary: ResolvedBinary; launch: PlannedLaunch } | undefined;
    try {
      const server = await deps.supervisor.start({ ...base, contextSize: 0 }, async (binary, config) => {
        const launch = await deps.planFor(overrides, binary);
        planned = { binary, launch };
        return { ...config, contextSize: launch.contextSize, planArgs: launch.planArgs };
      });
      if (!planned) throw new HeadroomError('Internal error: the server started without a plan.');
      return { server, state: { ...planned, overrides, steps, changes } };
    } catch (err) {
      if (!(err instanceof ServerLoadError) || !planned) throw err;
      const step = nextRecoveryStep(planned.launch.shape, err.failure.kind, steps);
      if (!step) {
        if (changes.length === 0) throw err;
        throw new HeadroomError(`${err.message} Headroom already tried: ${changes.join(' ')}`, undefined, { cause: err });
      }
      overrides = { ...overrides, ...step.overrides };
      changes.push(step.change);
      deps.onRecovery?.(step, err.failure);
    }
  }
}

/** After an out-of-memory crash of a running server: the config for its restart, one rung down. */
export async function configAfterCrash(
  failure: Failure,
  config: ServerConfig,
  state: RecoveryState,
  planFor: PlanFor,
): Promise<{ config: ServerConfig; step: RecoveryStep } | undefined> {
  const step = nextRecoveryStep(state.launch.shape, failure.kind, state.steps);
  if (!step) return undefined;
  state.overrides = { ...state.overrides, ...step.overrides };
  state.steps++;
  state.changes.push(step.change);
  state.launch = await planFor(state.overrides, state.binary);
  return { config: { ...config, contextSize: state.launch.contextSize, planArgs: state.launch.planArgs }, step };
}
