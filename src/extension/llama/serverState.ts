/** The supervisor's state, as every view sees it. */

export interface ReadyInfo {
  baseUrl: string;
  /** Model file name as shown to the user. */
  model: string;
  pid: number;
  contextSize: number;
  args: readonly string[];
}

export type ServerState =
  | { kind: 'stopped' }
  | { kind: 'locating' }
  /** Measuring the memory plan with llama.cpp's dry run. */
  | { kind: 'planning' }
  | { kind: 'building'; percent: number; message: string }
  | { kind: 'starting' }
  | { kind: 'loading'; percent: number | null }
  | ({ kind: 'ready' } & ReadyInfo)
  | {
      kind: 'crashed';
      code: number | null;
      signal: string | null;
      /** Why, in plain words. */
      reason: string;
      /** Headroom killed it because it stopped responding (a stall), rather than it ending by itself. */
      stalled: boolean;
      stderrTail: string[];
      retryInMs: number;
    }
  | { kind: 'failed'; error: string };

export type ServerStateKind = ServerState['kind'];

/**
 * Every move the supervisor may make, from each kind to the kinds that may follow it. A move to the same
 * kind updates that state's data (build or load percentage, the process handle once spawned).
 */
export const SERVER_TRANSITIONS: Readonly<Record<ServerStateKind, readonly ServerStateKind[]>> = {
  // start() or locate().
  stopped: ['locating'],
  // locate() ends in stopped; a start without a planner launches straight away.
  locating: ['building', 'planning', 'starting', 'stopped', 'failed'],
  building: ['building', 'planning', 'starting', 'stopped', 'failed'],
  planning: ['starting', 'stopped', 'failed'],
  // A load failure re-plans one rung down (planning) or ends the run (failed); a fast model is ready before any 503.
  starting: ['starting', 'loading', 'ready', 'planning', 'stopped', 'failed'],
  loading: ['loading', 'ready', 'planning', 'stopped', 'failed'],
  // A crash is restarted (crashed) unless the restart policy gives up (failed).
  ready: ['crashed', 'failed', 'stopped'],
  // The reload: as it was (starting) or one rung down (planning).
  crashed: ['starting', 'planning', 'stopped', 'failed'],
  // stop() leaves a failure on show; start() and locate() begin again.
  failed: ['locating'],
};

export class ServerTransitionError extends Error {
  constructor(
    readonly from: ServerStateKind,
    readonly to: ServerStateKind,
  ) {
    super(`Internal error: the server cannot go from ${from} to ${to}.`);
    this.name = 'ServerTransitionError';
  }
}

/** Throws ServerTransitionError unless SERVER_TRANSITIONS lists `from -> to`. */
export function checkTransition(from: ServerStateKind, to: ServerStateKind): void {
  if (!SERVER_TRANSITIONS[from].includes(to)) throw new ServerTransitionError(from, to);
}
