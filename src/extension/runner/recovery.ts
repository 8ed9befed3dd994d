import { HeadroomError } from '../common/errors';
import type { Failure } from '../llama/logClassifier';
import type { ServerLoadError } from '../llama/serverLoadError';
import type { LaunchPlanner, ResolvedBinary, ServerConfig } from '../llama/supervisor';
import { nextRecoveryStep, type LaunchShape, type RecoveryOverrides, type RecoveryStep } from './recoveryLadder';

/** One planned launch: the planner's llama-server arguments and the knobs the ladder can turn. */
export interface PlannedLaunch {
  planArgs: string[];
  contextSize: number;
  shape: LaunchShape;
}

/** Plans a launch with this build, honouring the overrides accumulated so far ({} at first). */
export type PlanFor = (overrides: RecoveryOverrides, binary: ResolvedBinary) => Promise<PlannedLaunch>;

/** Where the ladder stands for one start. A step makes a new value; none is ever changed in place. */
export interface RecoveryState {
  readonly binary: ResolvedBinary;
  readonly launch: PlannedLaunch;
  readonly overrides: RecoveryOverrides;
  readonly steps: number;
  /** What the ladder changed, in plain words; empty while the first plan holds. */
  readonly changes: readonly string[];
}

function firstRecoveryState(binary: ResolvedBinary, launch: PlannedLaunch): RecoveryState {
  return { binary, launch, overrides: {}, steps: 0, changes: [] };
}

/** The state after `step`: planned again with the overrides so far plus the step's. */
async function afterStep(state: RecoveryState, step: RecoveryStep, planFor: PlanFor): Promise<RecoveryState> {
  const overrides = { ...state.overrides, ...step.overrides };
  return {
    binary: state.binary,
    launch: await planFor(overrides, state.binary),
    overrides,
    steps: state.steps + 1,
    changes: [...state.changes, step.change],
  };
}

/** The server config that launches `launch`. */
function configFor(config: ServerConfig, launch: PlannedLaunch): ServerConfig {
  return { ...config, contextSize: launch.contextSize, planArgs: launch.planArgs };
}

/**
 * The one recovery policy, for a first start and for the reload after a crash alike: when llama-server
 * runs out of memory (loading, or while serving), step down the ladder (fewer GPU layers or more experts
 * on the CPU, smaller batch, 8-bit KV cache, smaller context), at most MAX_RECOVERY_STEPS times per start,
 * never the same rung twice, and announce each change in plain words. Anything else is not its business:
 * a load failure then ends the start, a crash reloads as it was.
 */
export class RecoveryPolicy implements LaunchPlanner {
  private state: RecoveryState | undefined;

  constructor(
    private readonly planFor: PlanFor,
    private readonly announce: (step: RecoveryStep, failure: Failure) => void = () => undefined,
  ) {}

  /** What the ladder changed so far, in plain words. */
  get changes(): readonly string[] {
    return this.state?.changes ?? [];
  }

  /** The build this start uses, once known. */
  get binary(): ResolvedBinary | undefined {
    return this.state?.binary;
  }

  async prepare(binary: ResolvedBinary, config: ServerConfig): Promise<ServerConfig> {
    const launch = await this.planFor({}, binary);
    this.state = firstRecoveryState(binary, launch);
    return configFor(config, launch);
  }

  stepDown(failure: Failure): ((config: ServerConfig) => Promise<ServerConfig>) | undefined {
    const from = this.state;
    const step = from && nextRecoveryStep(from.launch.shape, failure.kind, from.steps);
    if (!from || !step) return undefined;
    return async (config) => {
      const next = await afterStep(from, step, this.planFor);
      this.state = next;
      this.announce(step, failure);
      return configFor(config, next.launch);
    };
  }

  giveUp(error: ServerLoadError): Error {
    const changes = this.changes;
    if (changes.length === 0) return error;
    return new HeadroomError(`${error.message} Headroom already tried: ${changes.join(' ')}`, undefined, { cause: error });
  }
}
