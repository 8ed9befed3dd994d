import { setTimeout as sleep } from 'node:timers/promises';
import { withFileLock } from '../../common/fileLock';
import { processAlive } from '../../common/processAlive';
import { killProcessTree, type LauncherHost } from '../processLauncher';
import { liveLeases } from './leases';
import { readSharedState, removeSharedState, type SharedPaths } from './sharedState';

export interface ReaperOptions {
  paths: SharedPaths;
  /** The launch this reaper watches; a record with another token is someone else's. */
  token: string;
  /** The server of that launch. */
  pid: number;
  tickMs: number;
  host: LauncherHost;
  /** How long a SIGTERM gets before SIGKILL. */
  graceMs?: number;
}

export type ReaperEnd = 'idle-stop' | 'server-gone' | 'replaced';

/**
 * Runs beside a shared server, outliving the window that started it: once no live window has held a lease
 * for the record's idle time (0: never), it stops the server and removes the record. It ends when the
 * server ends, or when the record names another launch (it then ends its own server if that still runs:
 * a window replaced it, and nobody can use it any more).
 */
export async function runReaper(options: ReaperOptions): Promise<ReaperEnd> {
  const { paths, token, tickMs } = options;
  let idleSince: number | undefined;
  for (;;) {
    const record = await readSharedState(paths.state);
    if (record?.token !== token) {
      // Removed: a window is stopping it. Replaced by a live other launch: ours is unreachable now.
      if (record && record.pid !== options.pid && processAlive(options.pid)) await stopTree(options.pid, options);
      return 'replaced';
    }
    if (!processAlive(record.pid)) {
      await withFileLock(paths.lock, async () => {
        if ((await readSharedState(paths.state))?.token === token) await removeSharedState(paths.state);
      });
      return 'server-gone';
    }
    if ((await liveLeases(paths.leases)).length > 0) idleSince = undefined;
    else {
      idleSince ??= Date.now();
      if (record.idleStopMs > 0 && Date.now() - idleSince >= record.idleStopMs) {
        const stopped = await withFileLock(paths.lock, async () => {
          // A window may have attached while this one waited for the lock.
          if ((await liveLeases(paths.leases)).length > 0 || (await readSharedState(paths.state))?.token !== token) return false;
          await removeSharedState(paths.state);
          await stopTree(record.pid, options);
          return true;
        });
        if (stopped) return 'idle-stop';
        idleSince = undefined;
      }
    }
    await sleep(tickMs);
  }
}

async function stopTree(pid: number, options: ReaperOptions): Promise<void> {
  killProcessTree(pid, 'SIGTERM', options.host);
  const deadline = Date.now() + (options.graceMs ?? 5_000);
  while (processAlive(pid) && Date.now() < deadline) await sleep(100);
  if (processAlive(pid)) killProcessTree(pid, 'SIGKILL', options.host);
}
