import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { lockFile } from '../../common/fileLock';
import { processAlive } from '../../common/processAlive';
import { currentLauncherHost, type LauncherHost, type ManagedProcess } from '../processLauncher';
import { healthStatus } from '../serverEndpoints';
import { sharedApiKey } from './apiKeyFile';
import { liveLeases, releaseLease, takeLease } from './leases';
import { attachedProcess, sharedProcess, type Leaving } from './sharedProcess';
import {
  ensureServersDir,
  identityId,
  keyHash,
  readSharedState,
  removeSharedState,
  sharedPaths,
  writeSharedState,
  STATE_VERSION,
  type SharedPaths,
  type SharedServerRecord,
} from './sharedState';

export interface SharingOptions {
  /** The servers folder (`<cache>/servers`; tests use a temporary one). */
  dir: string;
  /** Read at each launch and attach; the reaper follows the last value a window wrote. */
  idleStopMs(): number;
  /** The reaper's script (dist/reaper.js), run detached with this process's runtime; none: no idle stop. */
  reaperScript?: string;
  /** How often the reaper looks at the leases (default 1 s). */
  reaperTickMs?: number;
  /** The lease holder: this window's extension host (default: this process). */
  pid?: number;
  host?: LauncherHost;
}

/** Where the shared servers' files live: `servers/` in Headroom's cache, or HEADROOM_SERVERS_DIR (tests). */
export function sharedServersDir(cacheRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.HEADROOM_SERVERS_DIR || join(cacheRoot, 'servers');
}

/** A server this window uses: one it started or one it attached to. */
export interface SharedLaunch {
  process: ManagedProcess;
  /** The llama-server binary it runs. */
  binary: string;
  port: number;
  apiKey: string;
  args: readonly string[];
  attached: boolean;
}

/** Starts a server of our own with this key, writing its output to `logFile`. */
export type OwnLaunch = (apiKey: string, logFile: string) => Promise<{ process: ManagedProcess; port: number; args: readonly string[] }>;

/** What identifies a shared server: the same identity attaches, any other gets a server of its own. */
export interface SharedIdentity {
  /** Everything a server's behaviour depends on (model, settings), as one string. */
  key: string;
  modelPath: string;
  /** The llama-server it must run; undefined (a window attaching as it opens, before locating one): any. */
  binary?: string;
}

/** A server that started this long ago may not listen yet: a process that old that never answers is not ours. */
const BIND_GRACE_MS = 60_000;

/**
 * One llama-server per identity per machine, shared by every window of the user: a state file says where
 * it runs, each window holds a lease, the first window starts it (and a detached reaper that stops it once
 * the last lease has been gone for the idle time), the others attach. Every decision is made under the
 * identity's file lock, so two windows starting at once start one server, and after a crash the first
 * window to look restarts it while the others attach to the restart.
 */
export class ServerSharing {
  /** Set while the window closes: a stop then lets go of the server without ending it, whoever is left. */
  keepRunning = false;
  /** Set for a Restart: the next stop ends the server even while other windows use it (they attach to the restart). */
  endForEveryone = false;
  private readonly host: LauncherHost;
  private readonly pid: number;

  constructor(private readonly options: SharingOptions) {
    this.host = options.host ?? currentLauncherHost();
    this.pid = options.pid ?? process.pid;
  }

  /** The live server for this identity with a lease taken on it, or undefined when none runs. */
  async attach(identity: SharedIdentity): Promise<SharedLaunch | undefined> {
    const { paths, key } = await this.prepare(identity);
    const unlock = await lockFile(paths.lock);
    try {
      return await this.attachLocked(paths, identity, key);
    } finally {
      await unlock();
    }
  }

  /** Attaches to the live server for this identity, or starts one with `own` and records it. */
  async launchOrAttach(identity: SharedIdentity & { binary: string }, own: OwnLaunch): Promise<SharedLaunch> {
    const { paths, key } = await this.prepare(identity);
    const unlock = await lockFile(paths.lock);
    try {
      const live = await this.attachLocked(paths, identity, key);
      if (live) return live;
      const token = randomBytes(8).toString('hex');
      const { process: proc, port, args } = await own(key, paths.log);
      await writeSharedState(paths.state, this.record(identity, key, token, proc.pid, port, args));
      await takeLease(paths.leases, this.pid);
      this.startReaper(paths, token, proc.pid);
      return { process: sharedProcess(proc, () => this.leave(paths, token)), binary: identity.binary, port, apiKey: key, args, attached: false };
    } finally {
      await unlock();
    }
  }

  private async prepare(identity: SharedIdentity): Promise<{ paths: SharedPaths; key: string }> {
    await ensureServersDir(this.options.dir);
    const paths = sharedPaths(this.options.dir, identityId(identity.key));
    return { paths, key: await sharedApiKey(paths.key) };
  }

  private async attachLocked(paths: SharedPaths, identity: SharedIdentity, key: string): Promise<SharedLaunch | undefined> {
    const found = await readSharedState(paths.state);
    if (!found || !(await usable(found, identity, key))) return undefined;
    const record: SharedServerRecord = { ...found, idleStopMs: this.options.idleStopMs() };
    await writeSharedState(paths.state, record);
    await takeLease(paths.leases, this.pid);
    const proc = await attachedProcess(record.pid, paths.log, this.host);
    return {
      process: sharedProcess(proc, () => this.leave(paths, record.token), () => proc.stopWatching()),
      binary: record.binary,
      port: record.port,
      apiKey: key,
      args: record.args,
      attached: true,
    };
  }

  /** This window lets go; the server ends only when no other live window holds a lease and the window is not closing. */
  private async leave(paths: SharedPaths, token: string): Promise<Leaving> {
    const unlock = await lockFile(paths.lock);
    try {
      await releaseLease(paths.leases, this.pid);
      const forced = this.endForEveryone;
      this.endForEveryone = false;
      if (this.keepRunning || (!forced && (await liveLeases(paths.leases)).length > 0)) return 'detach';
      if ((await readSharedState(paths.state))?.token === token) await removeSharedState(paths.state);
      return 'kill';
    } finally {
      await unlock();
    }
  }

  private record(identity: SharedIdentity & { binary: string }, key: string, token: string, pid: number, port: number, args: readonly string[]): SharedServerRecord {
    return {
      version: STATE_VERSION,
      identity: identity.key,
      pid,
      port,
      keyHash: keyHash(key),
      token,
      modelPath: identity.modelPath,
      binary: identity.binary,
      args,
      idleStopMs: this.options.idleStopMs(),
      startedAt: new Date().toISOString(),
    };
  }

  private startReaper(paths: SharedPaths, token: string, pid: number): void {
    const script = this.options.reaperScript;
    if (!script) return;
    try {
      const child = spawn(process.execPath, [script, paths.dir, paths.id, token, String(pid), String(this.options.reaperTickMs ?? 1_000)], {
        detached: true,
        stdio: 'ignore',
        windowsHide: true,
        // Inside VS Code, execPath is Electron: this makes it behave as plain Node.
        env: { ...this.host.env, ELECTRON_RUN_AS_NODE: '1' },
      });
      child.unref();
    } catch {
      // Without a reaper the server stays up until a window stops it.
    }
  }
}

/**
 * A record names a server this window can use: same identity, alive, the key file still holds its key,
 * and it answers (/health 200 or 503, and with the key once ready) or has only just been started.
 */
async function usable(record: SharedServerRecord, identity: SharedIdentity, key: string): Promise<boolean> {
  if (record.identity !== identity.key || (identity.binary !== undefined && record.binary !== identity.binary)) return false;
  if (!processAlive(record.pid) || record.keyHash !== keyHash(key)) return false;
  const baseUrl = `http://127.0.0.1:${record.port}`;
  const health = await healthStatus(baseUrl);
  if (health === 503) return true;
  if (health === 200) return (await authorised(baseUrl, key)) === 200;
  return Date.now() - Date.parse(record.startedAt) < BIND_GRACE_MS;
}

async function authorised(baseUrl: string, key: string): Promise<number> {
  try {
    return (await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}
