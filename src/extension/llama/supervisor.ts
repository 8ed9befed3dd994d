import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Emitter, type Disposable } from '../common/emitter';
import { CancelledError, errorMessage, HeadroomError } from '../common/errors';
import { RingBuffer } from '../common/ringBuffer';
import { serverEnv } from './childEnv';
import { classifyFailure, type Failure } from './logClassifier';
import { ServerLoadError } from './serverLoadError';
import { LoadProgress } from './loadProgress';
import { oomKillerActed, readOomKillCount } from './oomKills';
import { findFreePort, isPortFree, isValidPort, PORT_RULE, waitUntilPortFree } from './ports';
import { healthStatus, servedContextSize } from './serverEndpoints';
import type { ExitInfo, ManagedProcess, ProcessLauncher } from './processLauncher';
import { RestartPolicy, type RestartDecision } from './restartPolicy';
import { lostWorkers, rpcWorkersOf, workersLostMessage } from './rpcFailure';
import { buildServerArgs } from './serverArgs';
import { DEFAULT_STALL_TIMEOUT_MS, stallFailure, StallWatch } from './stallWatch';
import { secondsText, type ReplyWatch } from '../chat/replyWatch';
import { checkTransition, type ReadyInfo, type ServerState } from './serverState';
import type { ServerSharing, SharedIdentity } from './shared/serverSharing';
import { launchOf, shownState, type Launch, type ReadyState, type Run, type SupervisorState } from './supervisorState';

export interface ServerConfig {
  modelPath: string;
  /** 0 = the model's own context, fitted by llama.cpp. */
  contextSize: number;
  /** 0 = any free port. */
  port: number;
  extraArgs: readonly string[];
  planArgs?: readonly string[];
}

/** The llama.cpp binaries a start uses. */
export interface ResolvedBinary {
  path: string;
  /** llama-fit-params of the same build, for exact memory plans. */
  fitParams?: string;
  /** llama-bench of the same build, for measured tuning. */
  bench?: string;
  /** llama.cpp's version line of the build (a remembered tuning is kept per build). */
  version?: string;
}

/**
 * How one start plans its launches: the first once the binary is known, and again one step down after a
 * failure. The runner's recovery policy is the one implementation; without a planner the supervisor
 * launches the config as given, fails on a load failure and reloads unchanged after a crash.
 */
export interface LaunchPlanner {
  /** The config of the first launch (memory planning needs the build, so it runs after locating). */
  prepare(binary: ResolvedBinary, config: ServerConfig): Promise<ServerConfig>;
  /**
   * After llama-server failed to load, or crashed while ready: the re-plan one step down (the supervisor
   * shows planning while it runs), or undefined when nothing is left to change.
   */
  stepDown(failure: Failure): ((config: ServerConfig) => Promise<ServerConfig>) | undefined;
  /** The error a start ends with when a load failed and there was no step left. */
  giveUp(error: ServerLoadError): Error;
}

export interface SupervisorDeps {
  launcher: ProcessLauncher;
  /** Finds or builds llama-server; reports build progress through the callback; `signal` cancels a build. */
  resolveBinary(onProgress: (percent: number, message: string) => void, signal?: AbortSignal): Promise<ResolvedBinary>;
  /** Rejects with a precise error when the model file is not something to hand to llama-server. */
  checkModel(path: string): Promise<void>;
  /** Every line the server prints. */
  onServerLine?(line: string): void;
  restartPolicy?: RestartPolicy;
  env?: NodeJS.ProcessEnv;
  healthIntervalMs?: number;
  /** Longest wait for a load; big models from a slow disk take minutes. */
  loadTimeoutMs?: number;
  stopGraceMs?: number;
  /** How long a relaunch waits for the port its crashed server had to be free again (default 2 s). */
  portReclaimMs?: number;
  /**
   * Silence (no reply chunk, no answer to /health) after which a ready server counts as stalled and is
   * killed and restarted like a crash; read at each ready; 0 turns the watch off. Default 60 s.
   */
  stallTimeoutMs?(): number;
  /**
   * Shares servers with other windows (a start with a `share` identity attaches to a running one or records
   * the one it launches); without it every server is private.
   */
  sharing?: ServerSharing;
  /** The kernel's OOM-kill counter (default: /proc/vmstat), to tell its SIGKILL from anyone else's. */
  oomKillCount?(): number | undefined;
}

export interface ReadyServer extends ReadyInfo {
  apiKey: string;
  /** Give it to the chat client: it is told of every chunk, and ends the reply if this server stalls. */
  watch: ReplyWatch;
}

/** A llama-server process with what reaching it takes. */
interface Spawned {
  process: ManagedProcess;
  port: number;
  apiKey: string;
  args: readonly string[];
}

/** A shared server's identity: what the caller shares under and the config's fixed parts (and the binary, once known). */
function sharedIdentity(share: string, config: ServerConfig): SharedIdentity {
  const key = JSON.stringify({ share, model: config.modelPath, port: config.port, extraArgs: config.extraArgs });
  return { key, modelPath: config.modelPath };
}

/** How llama-server ended, and for a SIGKILL whether the kernel's OOM killer sent it (undefined: unknown). */
interface Exit {
  info: ExitInfo;
  oomKilled: boolean | undefined;
}


const STDERR_TAIL = 200;
const CRASH_TAIL = 20;

/**
 * Runs one llama-server and keeps it running: locate/build, spawn on 127.0.0.1 with the supervisor's key,
 * poll /health through loading, re-plan after a failure through the start's LaunchPlanner, restart
 * crashes and stalls with backoff on the same port, stop the whole process group. Its state (one
 * SupervisorState, moved only along SERVER_TRANSITIONS) holds everything a run has: process, config,
 * binary, port, stall watch, restart timer.
 */
export class Supervisor implements Disposable {
  private readonly stateEmitter = new Emitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private current: SupervisorState = { kind: 'stopped', stopped: Promise.resolve() };
  private readonly tail = new RingBuffer<string>(STDERR_TAIL);
  /** The last run's id; each start or locate takes the next one. */
  private runs = 0;
  /** The start called last, which wins over any earlier one still waiting for the old server to stop. */
  private latestStart: Run | undefined;
  private readonly policy: RestartPolicy;
  /** One key for the supervisor's life, so a client keeps working across restarts; it never goes in argv. */
  private readonly apiKey = randomBytes(24).toString('base64url');

  constructor(private readonly deps: SupervisorDeps) {
    this.policy = deps.restartPolicy ?? new RestartPolicy();
  }

  get state(): ServerState {
    return shownState(this.current);
  }

  /** The running server with its key, or undefined unless ready. */
  get server(): ReadyServer | undefined {
    return this.current.kind === 'ready' ? this.current.server : undefined;
  }

  get stderrTail(): string[] {
    return this.tail.toArray();
  }

  /**
   * The ready server, now or once the start or restart in progress is ready (a client follows this rather
   * than keeping the first one); rejects when the server fails or is stopped instead.
   */
  whenReady(): Promise<ReadyServer> {
    return new Promise((resolve, reject) => {
      const settled = (): boolean => {
        const s = this.current;
        if (s.kind === 'ready') resolve(s.server);
        else if (s.kind === 'failed') reject(new HeadroomError(`llama-server failed: ${s.error}`));
        else if (s.kind === 'stopped') reject(new HeadroomError('llama-server is not running.'));
        else return false;
        return true;
      };
      if (settled()) return;
      const sub = this.onDidChangeState(() => {
        if (settled()) sub.dispose();
      });
    });
  }

  /** Finds or builds llama-server without starting it, showing the locating/building states. */
  async locate(): Promise<ResolvedBinary> {
    const before = this.current;
    if (before.kind !== 'stopped' && before.kind !== 'failed') return this.deps.resolveBinary(() => undefined);
    const run: Run = { id: ++this.runs, planner: undefined, abort: new AbortController() };
    this.move({ kind: 'locating', run });
    try {
      return await this.deps.resolveBinary((percent, message) => this.showBuild(run, percent, message), run.abort.signal);
    } finally {
      if (this.isCurrent(run)) this.move({ kind: 'stopped', stopped: before.kind === 'stopped' ? before.stopped : Promise.resolve() });
    }
  }

  /**
   * Starts (or restarts with a new config) and resolves once the server answers /health with 200.
   * `planner` plans the launch once the binary is known and re-plans it after a failure. With `share` (and
   * deps.sharing) the server is the machine's one for that identity: attached to when it runs, else launched
   * and recorded for other windows.
   */
  async start(config: ServerConfig, planner?: LaunchPlanner, share?: string): Promise<ReadyServer> {
    const run: Run = { id: ++this.runs, planner, share: this.deps.sharing ? share : undefined, abort: new AbortController() };
    this.latestStart = run;
    // Stop whatever runs and wait until its process has exited (its memory and port are free). The last
    // start called wins: an earlier one still waiting here is cancelled, a running one is stopped.
    for (let s = this.current; s.kind !== 'failed'; s = this.current) {
      if (this.latestStart !== run) throw new HeadroomError('The start was cancelled.');
      if (s.kind !== 'stopped') await this.stop();
      else {
        await s.stopped;
        if (this.current === s) break;
      }
    }
    if (this.latestStart !== run) throw new HeadroomError('The start was cancelled.');
    this.policy.reset();
    try {
      this.move({ kind: 'locating', run });
      await this.deps.checkModel(config.modelPath);
      const binary = await this.deps.resolveBinary((percent, message) => this.showBuild(run, percent, message), run.abort.signal);
      this.assertCurrent(run);
      const attached = run.share === undefined ? undefined : await this.deps.sharing?.attach({ ...sharedIdentity(run.share, config), binary: binary.path });
      if (attached) {
        if (!this.isCurrent(run)) attached.process.kill('SIGTERM');
        this.assertCurrent(run);
        return await this.follow({ run, config, binary, port: attached.port, unplanned: true }, attached);
      }
      let first = config;
      if (planner) {
        this.move({ kind: 'planning', run, config, binary });
        first = await planner.prepare(binary, config);
        this.assertCurrent(run);
      }
      return await this.loadUntilReady({ run, config: first, binary });
    } catch (err) {
      if (this.isCurrent(run)) this.move({ kind: 'failed', error: errorMessage(err) });
      throw err;
    }
  }

  /**
   * Attaches to the shared server for this config and `share` when one runs (a window opening, a reload),
   * without locating, building or planning anything; undefined, and stopped as before, when none runs.
   */
  async attach(config: ServerConfig, planner: LaunchPlanner | undefined, share: string): Promise<ReadyServer | undefined> {
    const sharing = this.deps.sharing;
    if (!sharing || this.current.kind !== 'stopped') return undefined;
    const run: Run = { id: ++this.runs, planner, share, abort: new AbortController() };
    this.move({ kind: 'locating', run });
    try {
      const attached = await sharing.attach(sharedIdentity(share, config));
      if (attached && !this.isCurrent(run)) attached.process.kill('SIGTERM');
      if (!attached || !this.isCurrent(run)) {
        if (this.isCurrent(run)) this.move({ kind: 'stopped', stopped: Promise.resolve() });
        return undefined;
      }
      return await this.follow({ run, config, binary: { path: attached.binary }, port: attached.port, unplanned: true }, attached);
    } catch (err) {
      if (this.isCurrent(run)) this.move({ kind: 'failed', error: errorMessage(err) });
      throw err;
    }
  }

  /** Stops the server: SIGTERM to its process group, SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void> {
    const s = this.current;
    if (s.kind === 'stopped') return s.stopped;
    // A failure stays on show; its process, if any, has exited or was killed.
    if (s.kind === 'failed') return Promise.resolve();
    if (s.kind === 'crashed') clearTimeout(s.restart);
    if ('run' in s) s.run.abort.abort();
    const proc = 'process' in s ? s.process : undefined;
    const stopped = proc ? this.terminate(proc) : Promise.resolve();
    this.move({ kind: 'stopped', stopped });
    return stopped;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private async terminate(proc: ManagedProcess): Promise<void> {
    proc.kill('SIGTERM');
    const grace = this.deps.stopGraceMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([proc.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace)))]);
    clearTimeout(timer);
    if (killed) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
  }

  /** Launches, and after a load failure launches again as the planner re-plans, until ready or it gives up. */
  private async loadUntilReady(launch: Launch): Promise<ReadyServer> {
    for (;;) {
      try {
        return await this.launch(launch);
      } catch (err) {
        if (!(err instanceof ServerLoadError) || !this.isCurrent(launch.run)) throw err;
        // Another program took the reclaimed port between our check and llama-server's bind: any free one will do.
        if (err.failure.kind === 'port-in-use' && launch.port !== undefined && launch.config.port === 0) {
          launch = { ...launch, port: undefined };
          continue;
        }
        const planner = launch.run.planner;
        const stepDown = planner?.stepDown(err.failure);
        if (!stepDown) throw planner ? planner.giveUp(err) : err;
        launch = await this.replan(launch, stepDown);
      }
    }
  }

  private async replan(launch: Launch, stepDown: (config: ServerConfig) => Promise<ServerConfig>): Promise<Launch> {
    this.move({ kind: 'planning', ...launch });
    const config = await stepDown(launch.config);
    this.assertCurrent(launch.run);
    return { ...launch, config };
  }

  private async launch(relaunch: Launch): Promise<ReadyServer> {
    const spawned = await this.spawn(relaunch);
    if (!this.isCurrent(relaunch.run)) {
      spawned.process.kill('SIGKILL');
      await spawned.process.exited;
      throw new CancelledError('The start was cancelled.');
    }
    return this.follow({ ...relaunch, port: spawned.port, unplanned: false }, spawned);
  }

  /** A server for this launch: spawned here, or (shared) the one another window started meanwhile. */
  private async spawn(relaunch: Launch): Promise<Spawned> {
    const { run, config, binary } = relaunch;
    const own = async (apiKey: string, logFile?: string): Promise<Spawned> => {
      const port = await this.choosePort(config.port, relaunch.port);
      this.assertCurrent(run);
      const args = buildServerArgs({ ...config, port });
      this.tail.clear();
      this.move({ kind: 'starting', ...relaunch, port });
      const env = serverEnv(this.deps.env ?? process.env, { apiKey, port });
      return { process: await this.deps.launcher.launch(binary.path, args, { env, logFile }), port, apiKey, args };
    };
    const sharing = this.deps.sharing;
    if (run.share === undefined || !sharing) return own(this.apiKey);
    return sharing.launchOrAttach({ ...sharedIdentity(run.share, config), binary: binary.path }, own);
  }

  /** From a spawned (or attached) process to ready: its output, its end, /health, the stall watch. */
  private async follow(launch: Launch, spawned: Spawned): Promise<ReadyServer> {
    const { run, config } = launch;
    const { process: proc, port, apiKey, args } = spawned;
    this.move({ kind: 'starting', ...launch, process: proc });
    const progress = new LoadProgress();
    proc.onStderrLine((line) => {
      this.tail.push(line);
      this.deps.onServerLine?.(line);
      const percent = progress.push(line);
      if (percent !== null) this.showLoading(proc, percent);
    });
    proc.onStdoutLine((line) => this.deps.onServerLine?.(line));
    const oomKillsBefore = this.oomKillCount();
    let exit: Exit | null = null;
    void proc.exited.then((info) => {
      exit = { info, oomKilled: info.signal === 'SIGKILL' ? oomKillerActed(oomKillsBefore, this.oomKillCount()) : undefined };
      const s = this.current;
      if (s.kind === 'ready' && s.process === proc) this.onCrash(s, exit);
    });

    const baseUrl = `http://127.0.0.1:${port}`;
    await this.waitHealthy(baseUrl, launch, proc, () => exit);
    const contextSize = await servedContextSize(baseUrl, apiKey, config.contextSize);
    this.assertCurrent(run);
    const timeoutMs = this.deps.stallTimeoutMs?.() ?? DEFAULT_STALL_TIMEOUT_MS;
    const watch = new StallWatch({
      baseUrl,
      timeoutMs,
      onSilent: () => {
        const s = this.current;
        if (s.kind === 'ready' && s.process === proc) this.onStall(s, timeoutMs);
      },
    });
    const server: ReadyServer = { baseUrl, apiKey, model: basename(config.modelPath), pid: proc.pid, contextSize, args, watch };
    const ready: ReadyState = { kind: 'ready', ...launch, process: proc, server, watch };
    this.move(ready);
    // It may have exited between the last health check and now.
    const early: Exit | null = exit;
    if (early) this.onCrash(ready, early);
    return server;
  }

  /**
   * The port for a launch: the one this run's server had (it was ours: wait briefly for the old process's
   * socket to go), else a free one, else the one asked for if it is free.
   */
  private async choosePort(requested: number, previous: number | undefined): Promise<number> {
    if (!isValidPort(requested)) throw new HeadroomError(`Port ${requested} is not a port: it must be ${PORT_RULE}.`, 'Fix headroom.port.');
    if (previous !== undefined && (await waitUntilPortFree(previous, this.deps.portReclaimMs ?? 2_000))) return previous;
    if (requested === 0) return findFreePort();
    if (!(await isPortFree(requested))) {
      throw new HeadroomError(
        `Port ${requested} on 127.0.0.1 is already in use by another program.`,
        'Choose another headroom.port, or set it to 0 to use any free port.',
      );
    }
    return requested;
  }

  private async waitHealthy(baseUrl: string, launch: Launch, proc: ManagedProcess, exitInfo: () => Exit | null): Promise<void> {
    const interval = this.deps.healthIntervalMs ?? 200;
    const timeoutMs = this.deps.loadTimeoutMs ?? 15 * 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.assertCurrent(launch.run);
      const exit = exitInfo();
      if (exit) {
        const failure = classifyFailure(this.tail.toArray(), exit.info, exit.oomKilled);
        throw new ServerLoadError(
          `llama-server stopped while loading ${basename(launch.config.modelPath)}: ${failure.message}`,
          failure,
          this.tail.toArray().slice(-CRASH_TAIL),
        );
      }
      const status = await healthStatus(baseUrl);
      if (status === 200) return;
      if (status === 503) this.showLoading(proc, null);
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new HeadroomError(`llama-server did not become ready within ${Math.round(timeoutMs / 1000)} s.`);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  /**
   * The watch found the ready server silent for the stall timeout. It counts as a crash: its replies are told
   * whether it is restarted, it is killed, and it is crashed from now on, so no client is handed it again.
   */
  private onStall(ready: ReadyState, timeoutMs: number): void {
    if (rpcWorkersOf(ready.config.planArgs ?? []).length > 0) {
      void this.unlessWorkersLost(ready, () => this.stalled(ready, timeoutMs));
      return;
    }
    this.stalled(ready, timeoutMs);
  }

  private stalled(ready: ReadyState, timeoutMs: number): void {
    const decision = this.policy.onCrash();
    const silence = secondsText(timeoutMs);
    ready.watch.stall(
      decision.restart
        ? `llama-server stopped responding for ${silence}; restarted it.`
        : `llama-server stopped responding for ${silence} and was not restarted: it failed ${decision.crashesInWindow} times in a short time.`,
    );
    // SIGKILL: a stopped process would not act on SIGTERM until it is continued.
    ready.process.kill('SIGKILL');
    this.crashed(ready, decision, stallFailure(timeoutMs), { code: null, signal: 'SIGKILL' });
  }

  private onCrash(ready: ReadyState, { info, oomKilled }: Exit): void {
    const failure = classifyFailure(this.tail.toArray().slice(-CRASH_TAIL), info, oomKilled);
    if (failure.kind === 'rpc-worker') void this.unlessWorkersLost(ready, () => this.crashed(ready, this.policy.onCrash(), failure, info));
    else this.crashed(ready, this.policy.onCrash(), failure, info);
  }

  /**
   * A server with RPC workers that crashed for one of them, or went silent: its workers are asked. One that does not
   * answer ends the run with its name (a restart would abort again connecting to it); when all answer, `otherwise`.
   */
  private async unlessWorkersLost(ready: ReadyState, otherwise: () => void): Promise<void> {
    const lost = await lostWorkers(ready.config.planArgs ?? []);
    if (this.current !== ready) return;
    if (lost.length === 0) {
      otherwise();
      return;
    }
    const message = workersLostMessage(lost);
    ready.watch.stall(message);
    ready.process.kill('SIGKILL');
    this.move({ kind: 'failed', error: message });
  }

  /** After a crash or a stall: gives up, or restarts after the policy's delay, once the old process is gone. */
  private crashed(ready: ReadyState, decision: RestartDecision, failure: Failure, exit: ExitInfo): void {
    if (!decision.restart) {
      this.move({
        kind: 'failed',
        error: `llama-server crashed ${decision.crashesInWindow} times in a short time and was not restarted. Last: ${failure.message}`,
      });
      return;
    }
    const launch = launchOf(ready);
    const restart = setTimeout(() => void ready.process.exited.then(() => this.reload(launch, failure)), decision.delayMs);
    const crash = {
      code: exit.code,
      signal: exit.signal,
      reason: failure.message,
      stalled: failure.kind === 'stalled',
      stderrTail: this.tail.toArray().slice(-CRASH_TAIL),
      retryInMs: decision.delayMs,
    };
    this.move({ kind: 'crashed', ...launch, crash, restart });
  }

  /** The restart after a crash: one step down when the planner has one for this failure, else as it was. */
  private async reload(launch: Launch, failure: Failure): Promise<void> {
    try {
      const planner = launch.run.planner;
      if (launch.unplanned && planner) {
        // Attached without a plan of our own: plan as a first start does, then launch (or attach to a takeover).
        const prepared = await this.replan(launch, (config) => planner.prepare(launch.binary, config));
        await this.loadUntilReady({ ...prepared, unplanned: false });
        return;
      }
      const stepDown = planner?.stepDown(failure);
      await this.loadUntilReady(stepDown ? await this.replan(launch, stepDown) : launch);
    } catch (err) {
      if (this.isCurrent(launch.run)) this.move({ kind: 'failed', error: errorMessage(err) });
    }
  }

  private showBuild(run: Run, percent: number, message: string): void {
    const s = this.current;
    if ((s.kind === 'locating' || s.kind === 'building') && s.run === run) this.move({ kind: 'building', run, percent, message });
  }

  /** Loading (percent null: not known yet) while `proc` is the one starting or loading; a known percent is kept. */
  private showLoading(proc: ManagedProcess, percent: number | null): void {
    const s = this.current;
    if ((s.kind !== 'starting' && s.kind !== 'loading') || s.process !== proc) return;
    if (percent === null && s.kind === 'loading') return;
    this.move({ kind: 'loading', ...launchOf(s), process: proc, percent });
  }

  private oomKillCount(): number | undefined {
    return (this.deps.oomKillCount ?? readOomKillCount)();
  }

  private isCurrent(run: Run): boolean {
    return 'run' in this.current && this.current.run === run;
  }

  private assertCurrent(run: Run): void {
    if (!this.isCurrent(run)) throw new CancelledError('The start was cancelled.');
  }

  /** The one way the state changes: checked against SERVER_TRANSITIONS, announced when what the views see changed. */
  private move(next: SupervisorState): void {
    checkTransition(this.current.kind, next.kind);
    const before = JSON.stringify(shownState(this.current));
    // Only the ready state watches for stalls (ready moves only to other kinds).
    if (this.current.kind === 'ready') this.current.watch.dispose();
    this.current = next;
    const shown = shownState(next);
    if (JSON.stringify(shown) !== before) this.stateEmitter.fire(shown);
  }
}
