import { HeadroomError } from '../common/errors';
import type { Failure } from './logClassifier';
import { nextRecoveryStep, type LaunchShape, type RecoveryOverrides, type RecoveryStep } from './recoveryLadder';
import { ServerLoadError, type ReadyServer, type ServerConfig, type Supervisor } from './supervisor';

/** One planned launch: the planner's llama-server arguments and the knobs the ladder can turn. */
export interface PlannedLaunch {
  planArgs: string[];
  contextSize: number;
  shape: LaunchShape;
}

export interface RecoveryDeps {
  supervisor: Supervisor;
  /** Plans a launch honouring the overrides accumulated so far ({} for the first try). */
  planFor(overrides: RecoveryOverrides): Promise<PlannedLaunch>;
  onRecovery?(step: RecoveryStep, failure: Failure): void;
}

export interface RecoveredStart {
  server: ReadyServer;
  launch: PlannedLaunch;
  overrides: RecoveryOverrides;
  /** What the ladder changed, in plain words; empty when the first try worked. */
  changes: string[];
}

type BaseConfig = Omit<ServerConfig, 'planArgs' | 'contextSize'>;

/**
 * Starts the planned server; when it runs out of memory while loading, steps down the recovery ladder
 * (fewer GPU layers or more experts on CPU, smaller batch, quantized KV cache, smaller context) and
 * tries again, a bounded number of times.
 */
export async function startWithRecovery(deps: RecoveryDeps, base: BaseConfig): Promise<RecoveredStart> {
  let overrides: RecoveryOverrides = {};
  const changes: string[] = [];
  for (let steps = 0; ; steps++) {
    const launch = await deps.planFor(overrides);
    try {
      const server = await deps.supervisor.start({ ...base, contextSize: launch.contextSize, planArgs: launch.planArgs });
      return { server, launch, overrides, changes };
    } catch (err) {
      if (!(err instanceof ServerLoadError)) throw err;
      const step = nextRecoveryStep(launch.shape, err.failure.kind, steps);
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

/** After an out-of-memory crash of a running server: the config for the restart, one rung down. */
export async function configAfterCrash(
  failure: Failure,
  config: ServerConfig,
  state: { launch: PlannedLaunch; overrides: RecoveryOverrides; steps: number },
  planFor: (overrides: RecoveryOverrides) => Promise<PlannedLaunch>,
): Promise<{ config: ServerConfig; step: RecoveryStep } | undefined> {
  const step = nextRecoveryStep(state.launch.shape, failure.kind, state.steps);
  if (!step) return undefined;
  state.overrides = { ...state.overrides, ...step.overrides };
  state.steps++;
  state.launch = await planFor(state.overrides);
  return { config: { ...config, contextSize: state.launch.contextSize, planArgs: state.launch.planArgs }, step };
}
