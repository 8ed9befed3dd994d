import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { Emitter, type Event } from '../common/emitter';
import { HeadroomError } from '../common/errors';
import { run } from '../common/run';
import { LineSplitter } from './lineSplitter';
import { LogTail } from './shared/logTail';

export { LineSplitter } from './lineSplitter';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * A shared server's output file: the child is detached on every platform, writes stdout and stderr there
   * (a pipe would end with this process and kill it with SIGPIPE), gets no watchdog, and so outlives this
   * process; its lines arrive as stderr lines read back from the file.
   */
  logFile?: string;
}

/** A running child process: its output as lines and raw chunks, and its end. */
export interface ManagedProcess {
  readonly pid: number;
  readonly onStdoutLine: Event<string>;
  readonly onStderrLine: Event<string>;
  /** Resolves once the process has exited and its output has been read to the end. */
  readonly exited: Promise<ExitInfo>;
  /**
   * Ends the whole process tree, so helpers the child started die with it: `signal` to its process group,
   * or on Windows (which has neither) `taskkill /T /F`, whatever the signal.
   */
  kill(signal: NodeJS.Signals): void;
}

export interface ProcessLauncher {
  launch(command: string, args: readonly string[], options: LaunchOptions): Promise<ManagedProcess>;
}

/**
 * A tiny watchdog run with this process's own runtime: when the parent dies without stopping the
 * child (the extension host was killed), it ends the child's process group, or on Windows its process
 * tree with taskkill. It exits with the child.
 * A dead parent that is not reaped yet (a zombie) still passes `kill(pid, 0)`; on Linux the watchdog
 * also reads /proc: a parent in state Z (or X) is dead, and so is one that is no longer the watchdog's
 * parent (a parent's death hands its children to init or a subreaper, whatever became of its pid).
 */
const REAPER = `
const { readFileSync } = require('fs');
const [parent, child] = process.argv.slice(1, 3).map(Number);
const byTaskkill = process.argv[3] === 'taskkill';
const linux = process.platform === 'linux';
// The fields after the command name, which may hold spaces and parentheses: [state, ppid, ...].
const stat = (pid) => { try { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' '); } catch { return undefined; } };
const exists = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
const alive = (pid) => { if (!exists(pid)) return false; const f = linux && stat(pid); return !f || (f[0] !== 'Z' && f[0] !== 'X'); };
const orphaned = () => { const f = linux && stat('self'); return !!f && Number(f[1]) !== parent; };
const kill = (sig) => {
  if (byTaskkill) require('node:child_process').execFile('taskkill', ['/PID', String(child), '/T', '/F'], { windowsHide: true }, () => {});
  else try { process.kill(-child, sig); } catch {}
};
const timer = setInterval(() => {
  if (!alive(child)) process.exit(0);
  if (orphaned() || !alive(parent)) {
    clearInterval(timer);
    kill('SIGTERM');
    setTimeout(() => { kill('SIGKILL'); process.exit(0); }, 5000);
  }
}, 1000);
`;

/** What the launcher needs of the machine it runs on; this one by default, a made-up Windows in tests. */
export interface LauncherHost {
  readonly platform: NodeJS.Platform;
  /** Headroom's own environment, where taskkill and the watchdog run (not the child's). */
  readonly env: NodeJS.ProcessEnv;
}

export function currentLauncherHost(): LauncherHost {
  return { platform: process.platform, env: process.env };
}

/** `taskkill /PID pid /T /F`: Windows' way to end a process and every process it started. */
export function taskkillArgs(pid: number): string[] {
  return ['/PID', String(pid), '/T', '/F'];
}

/**
 * Starts the watchdog for `childPid`, which ends the child's tree once `parentPid` is gone:
 * by its process group on POSIX, by taskkill on Windows.
 */
export function startReaper(parentPid: number, childPid: number, host: LauncherHost = currentLauncherHost()): void {
  try {
    const mode = host.platform === 'win32' ? 'taskkill' : 'group';
    const reaper = spawn(process.execPath, ['-e', REAPER, String(parentPid), String(childPid), mode], {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      // Inside VS Code, execPath is Electron: this makes it behave as plain Node.
      env: { ...host.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    reaper.unref();
  } catch {
    // Without a reaper the server still stops with the normal stop(); only a killed host leaks it.
  }
}

/**
 * Ends `pid` and everything it started: `signal` to its process group (it leads one: it was spawned
 * detached), or on Windows `taskkill /T /F`, whatever the signal (child.kill would end only the child).
 */
export function killProcessTree(pid: number, signal: NodeJS.Signals, host: LauncherHost = currentLauncherHost()): void {
  if (host.platform === 'win32') {
    run('taskkill', taskkillArgs(pid), { env: host.env, timeoutMs: 10_000 }).catch(() => undefined);
    return;
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Spawns directly (no shell), in a new process group, with stdin closed. */
export class NodeProcessLauncher implements ProcessLauncher {
  constructor(private readonly host: LauncherHost = currentLauncherHost()) {}

  launch(command: string, args: readonly string[], options: LaunchOptions): Promise<ManagedProcess> {
    const { platform } = this.host;
    const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'w', 0o600);
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: options.env,
        cwd: options.cwd,
        stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd],
        detached: logFd !== undefined || platform !== 'win32',
        shell: false,
        windowsHide: true,
      });
      if (logFd !== undefined) closeSync(logFd);
      const stdoutLine = new Emitter<string>();
      const stderrLine = new Emitter<string>();
      const tail = options.logFile === undefined ? undefined : new LogTail(options.logFile, 0);
      tail?.onLine((l) => stderrLine.fire(l));
      const outSplit = new LineSplitter();
      const errSplit = new LineSplitter();
      child.stdout?.setEncoding('utf8');
      child.stderr?.setEncoding('utf8');
      child.stdout?.on('data', (text: string) => outSplit.push(text, (l) => stdoutLine.fire(l)));
      child.stderr?.on('data', (text: string) => errSplit.push(text, (l) => stderrLine.fire(l)));
      const exited = new Promise<ExitInfo>((done) => {
        child.on('close', (code, signal) => {
          outSplit.end((l) => stdoutLine.fire(l));
          errSplit.end((l) => stderrLine.fire(l));
          void (tail?.close() ?? Promise.resolve()).then(() => done({ code, signal }));
        });
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'ENOENT' ? 'the file does not exist' : err.code === 'EACCES' ? 'it is not executable' : err.message;
        reject(new HeadroomError(`Could not start ${command}: ${reason}.`, 'Check headroom.llamaServerPath, or run "Headroom: Build llama.cpp".', { cause: err }));
      });
      child.once('spawn', () => {
        const pid = child.pid;
        if (pid === undefined) return;
        if (tail) child.unref();
        else startReaper(process.pid, pid, this.host);
        resolve({
          pid,
          onStdoutLine: stdoutLine.event,
          onStderrLine: stderrLine.event,
          exited,
          kill: (signal) => killProcessTree(pid, signal, this.host),
        });
      });
    });
  }
}
