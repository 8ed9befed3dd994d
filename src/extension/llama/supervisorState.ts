// The supervisor's own state: the public ServerState plus what each state holds (the process, the
// config of the launch, the restart timer), so that there is one place to look and nothing to keep in step.
import type { ManagedProcess } from './processLauncher';
import type { ServerState } from './serverState';
import type { StallWatch } from './stallWatch';
import type { LaunchPlanner, ReadyServer, ResolvedBinary, ServerConfig } from './supervisor';

/** One start the user asked for (or one locate()); callbacks of an older run find another run in the state. */
export interface Run {
  readonly id: number;
  readonly planner: LaunchPlanner | undefined;
  /** The identity under which the server is shared with other windows; undefined: a private server. */
  readonly share?: string;
  /** Aborted when the run is stopped or replaced: a build it started stops too. */
  readonly abort: AbortController;
}

/** One launch of a run: what is (or is about to be) handed to llama-server. */
export interface Launch {
  readonly run: Run;
  readonly config: ServerConfig;
  readonly binary: ResolvedBinary;
  /** The port this run's server listens on, once chosen: a relaunch reclaims it, so clients keep their URL. */
  readonly port?: number;
  /** Attached to a shared server without planning: a relaunch after a crash plans first. */
  readonly unplanned?: boolean;
}

export type CrashInfo = Omit<Extract<ServerState, { kind: 'crashed' }>, 'kind'>;

export type SupervisorState =
  /** `stopped`: the stop in progress (or done); a second stop() returns the same promise. */
  | { kind: 'stopped'; stopped: Promise<void> }
  | { kind: 'locating'; run: Run }
  | { kind: 'building'; run: Run; percent: number; message: string }
  | ({ kind: 'planning' } & Launch)
  /** `process` is undefined while llama-server is being spawned. */
  | ({ kind: 'starting'; process?: ManagedProcess } & Launch)
  | ({ kind: 'loading'; percent: number | null; process: ManagedProcess } & Launch)
  /** `watch`: the stall watch of this process (also handed to clients as `server.watch`); it ends with the state. */
  | ({ kind: 'ready'; server: ReadyServer; process: ManagedProcess; watch: StallWatch } & Launch)
  | ({ kind: 'crashed'; crash: CrashInfo; restart: NodeJS.Timeout } & Launch)
  | { kind: 'failed'; error: string };

export type ReadyState = Extract<SupervisorState, { kind: 'ready' }>;

/** The launch a state belongs to, to build the next state of the same launch. */
export function launchOf(s: Launch): Launch {
  return { run: s.run, config: s.config, binary: s.binary, port: s.port, unplanned: s.unplanned };
}

/** What the views see: the public state, without handles, config, key or watch. */
export function shownState(s: SupervisorState): ServerState {
  switch (s.kind) {
    case 'stopped':
    case 'locating':
    case 'planning':
    case 'starting':
      return { kind: s.kind };
    case 'building':
      return { kind: 'building', percent: s.percent, message: s.message };
    case 'loading':
      return { kind: 'loading', percent: s.percent };
    case 'ready': {
      const { apiKey: _secret, watch: _watch, ...info } = s.server;
      return { kind: 'ready', ...info };
    }
    case 'crashed':
      return { kind: 'crashed', ...s.crash };
    case 'failed':
      return { kind: 'failed', error: s.error };
  }
}
