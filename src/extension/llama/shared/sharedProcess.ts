import { stat } from 'node:fs/promises';
import { Emitter, type Event } from '../../common/emitter';
import { processAlive } from '../../common/processAlive';
import { killProcessTree, type ExitInfo, type LauncherHost, type ManagedProcess } from '../processLauncher';
import { LogTail } from './logTail';

/** What a stop of a shared server does for this window: leave it to the others (or the reaper), or end it. */
export type Leaving = 'detach' | 'kill';

const NO_LINES: Event<string> = () => ({ dispose: () => undefined });

/**
 * A shared server as the supervisor sees it. `kill` first asks `leave` whether this window is the last one
 * using it: if not, the window only lets go (its `exited` resolves, the server keeps running); if so, the
 * server's tree is ended as any other.
 */
export function sharedProcess(inner: ManagedProcess, leave: () => Promise<Leaving>, onDetach?: () => void): ManagedProcess {
  let detached: (info: ExitInfo) => void = () => undefined;
  const left = new Promise<ExitInfo>((resolve) => (detached = resolve));
  let leaving: Promise<Leaving> | undefined;
  return {
    pid: inner.pid,
    onStdoutLine: inner.onStdoutLine,
    onStderrLine: inner.onStderrLine,
    exited: Promise.race([inner.exited, left]),
    kill(signal) {
      leaving ??= leave().catch((): Leaving => 'kill');
      void leaving.then((how) => {
        if (how === 'kill') return inner.kill(signal);
        onDetach?.();
        detached({ code: null, signal: null });
      });
    },
  };
}

/**
 * A server another window started: its pid, polled until it is gone (it is not our child), and the new
 * lines of its log file.
 */
export interface AttachedProcess extends ManagedProcess {
  /** Stops following the server (this window let go of it). */
  stopWatching(): void;
}

export async function attachedProcess(pid: number, logFile: string, host: LauncherHost, pollMs = 250): Promise<AttachedProcess> {
  const size = (await stat(logFile).catch(() => undefined))?.size ?? 0;
  const tail = new LogTail(logFile, size);
  const lines = new Emitter<string>();
  tail.onLine((l) => lines.fire(l));
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    timer = setInterval(() => {
      if (processAlive(pid)) return;
      clearInterval(timer);
      void tail.close().then(() => resolve({ code: null, signal: null }));
    }, pollMs);
    timer.unref();
  });
  return {
    pid,
    onStdoutLine: NO_LINES,
    onStderrLine: lines.event,
    exited,
    kill: (signal) => killProcessTree(pid, signal, host),
    stopWatching: () => {
      clearInterval(timer);
      void tail.close();
    },
  };
}
