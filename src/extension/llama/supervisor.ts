import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Emitter, type Disposable } from '../common/emitter';
import { errorMessage, HeadroomError } from '../common/errors';
import { RingBuffer } from '../common/ringBuffer';
import { serverEnv } from './childEnv';
import { classifyFailure, type Failure } from './logClassifier';
import { ServerLoadError } from './serverLoadError';
import { LoadProgress } from './loadProgress';
import { oomKillerActed, readOomKillCount } from './oomKills';
import { findFreePort, isPortFree, isValidPort, PORT_RULE } from './ports';
import { healthStatus, servedContextSize } from './serverEndpoints';
import type { ExitInfo, ManagedProcess, ProcessLauncher } from './processLauncher';
import { RestartPolicy } from './restartPolicy';
import { buildServerArgs } from './serverArgs';
import type { ReadyInfo, ServerState } from './serverState';

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
}

/** Runs after the binary is known and before launch: the planner fills in context and plan args here. */
export type PrepareLaunch = (binary: ResolvedBinary, config: ServerConfig) => Promise<ServerConfig>;

export interface SupervisorDeps {
  launcher: ProcessLauncher;
  /** Finds or builds llama-server; reports build progress through the callback. */
  resolveBinary(onProgress: (percent: number, message: string) => void): Promise<ResolvedBinary>;
  /** Rejects with a precise error when the model file is not something to hand to llama-server. */
  checkModel(path: string): Promise<void>;
  /** Every line the server prints. */
  onServerLine?(line: string): void;
  /**
   * Called when a ready server crashes, before it is restarted: may return a changed config (the
   * recovery ladder uses this to restart with less memory after an out-of-memory crash).
   */
  adjustAfterCrash?(failure: Failure, config: ServerConfig): Promise<ServerConfig | undefined>;
  restartPolicy?: RestartPolicy;
  env?: NodeJS.ProcessEnv;
  healthIntervalMs?: number;
  /** Longest wait for a load; big models from a slow disk take minutes. */
  loadTimeoutMs?: number;
  stopGraceMs?: number;
  /** The kernel's OOM-kill counter (default: /proc/vmstat), to tell its SIGKILL from anyone else's. */
  oomKillCount?(): number | undefined;
}

export interface ReadyServer extends ReadyInfo {
  apiKey: string;
}

/** How llama-server ended, and for a SIGKILL whether the kernel's OOM killer sent it (undefined: unknown). */
interface Exit {
  info: ExitInfo;
  oomKilled: boolean | undefined;
}

const STDERR_TAIL = 200;
const CRASH_TAIL = 20;

/**
 * Runs one llama-server and keeps it running: locate/build, spawn on 127.0.0.1 with a fresh key,
 * poll /health through loading, restart crashes with backoff, stop the whole process group.
 */
export class Supervisor implements Disposable {
  private readonly stateEmitter = new Emitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private current: ServerState = { kind: 'stopped' };
  private process: ManagedProcess | null = null;
  private ready: ReadyServer | null = null;
  private config: ServerConfig | null = null;
  private binary: string | null = null;
  private readonly tail = new RingBuffer<string>(STDERR_TAIL);
  private stopping: Promise<void> | null = null;
  /** Bumped on every start and stop, so late callbacks of an older run do nothing. */
  private generation = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly policy: RestartPolicy;

  constructor(private readonly deps: SupervisorDeps) {
    this.policy = deps.restartPolicy ?? new RestartPolicy();
  }

  get state(): ServerState {
    return this.current;
  }

  /** The running server with its key, or undefined unless ready. */
  get server(): ReadyServer | undefined {
    return this.current.kind === 'ready' && this.ready ? this.ready : undefined;
  }

  get stderrTail(): string[] {
    return this.tail.toArray();
  }

  /** Finds or builds llama-server without starting it, showing the locating/building states. */
  async locate(): Promise<ResolvedBinary> {
    const running = this.current.kind;
    const show = running === 'stopped' || running === 'failed';
    if (show) this.setState({ kind: 'locating' });
    try {
      return await this.deps.resolveBinary((percent, message) => {
        if (show) this.setState({ kind: 'building', percent, message });
      });
    } finally {
      if (show) this.setState({ kind: 'stopped' });
    }
  }

  /**
   * Starts (or restarts with a new config) and resolves once the server answers /health with 200.
   * `prepare` may change the config once the binary is known (memory planning needs the build).
   */
  async start(config: ServerConfig, prepare?: PrepareLaunch): Promise<ReadyServer> {
    await this.stop();
    this.policy.reset();
    this.config = config;
    const generation = ++this.generation;
    try {
      this.setState({ kind: 'locating' });
      await this.deps.checkModel(config.modelPath);
      const binary = await this.deps.resolveBinary((percent, message) => {
        if (generation === this.generation) this.setState({ kind: 'building', percent, message });
      });
      this.assertCurrent(generation);
      if (prepare) {
        this.setState({ kind: 'planning' });
        this.config = await prepare(binary, config);
        this.assertCurrent(generation);
      }
      this.binary = binary.path;
      return await this.launch(generation);
    } catch (err) {
      if (generation === this.generation) {
        this.setState({ kind: 'failed', error: errorMessage(err) });
      }
      throw err;
    }
  }

  async restart(): Promise<ReadyServer> {
    if (!this.config) throw new HeadroomError('Nothing to restart: no model was started yet.');
    return this.start(this.config);
  }

  /** Stops the server: SIGTERM to its process group, SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const proc = this.process;
    if (!proc) {
      if (this.current.kind !== 'stopped' && this.current.kind !== 'failed') this.setState({ kind: 'stopped' });
      return Promise.resolve();
    }
    this.stopping = (async () => {
      proc.kill('SIGTERM');
      const grace = this.deps.stopGraceMs ?? 5_000;
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        proc.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace))),
      ]);
      clearTimeout(timer);
      if (killed) {
        proc.kill('SIGKILL');
        await proc.exited;
      }
      this.process = null;
      this.ready = null;
      this.setState({ kind: 'stopped' });
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }

  private async launch(generation: number): Promise<ReadyServer> {
    const config = this.config;
    const binary = this.binary;
    if (!config || !binary) throw new HeadroomError('Internal error: launch without a config.');
    const port = await this.choosePort(config.port);
    this.assertCurrent(generation);
    const apiKey = randomBytes(24).toString('base64url');
    const args = buildServerArgs({ ...config, port });
    this.tail.clear();
    this.setState({ kind: 'starting' });
    const proc = await this.deps.launcher.launch(binary, args, { env: serverEnv(this.deps.env ?? process.env, { apiKey, port }) });
    if (generation !== this.generation) {
      proc.kill('SIGKILL');
      await proc.exited;
      throw new HeadroomError('The start was cancelled.');
    }
    this.process = proc;
    const progress = new LoadProgress();
    proc.onStderrLine((line) => {
      this.tail.push(line);
      this.deps.onServerLine?.(line);
      const percent = progress.push(line);
      if (percent !== null && generation === this.generation && (this.current.kind === 'loading' || this.current.kind === 'starting')) {
        this.setState({ kind: 'loading', percent });
      }
    });
    proc.onStdoutLine((line) => this.deps.onServerLine?.(line));
    const oomKillsBefore = this.oomKillCount();
    let exit: Exit | null = null;
    void proc.exited.then((info) => {
      exit = { info, oomKilled: info.signal === 'SIGKILL' ? oomKillerActed(oomKillsBefore, this.oomKillCount()) : undefined };
      if (this.process === proc) this.process = null;
      if (generation === this.generation && this.current.kind === 'ready') this.onCrash(exit);
    });

    const baseUrl = `http://127.0.0.1:${port}`;
    await this.waitHealthy(baseUrl, generation, () => exit, config);
    const ready: ReadyServer = {
      baseUrl,
      apiKey,
      model: basename(config.modelPath),
      pid: proc.pid,
      contextSize: await servedContextSize(baseUrl, apiKey, config.contextSize),
      args,
    };
    this.assertCurrent(generation);
    this.ready = ready;
    const { apiKey: _secret, ...info } = ready;
    this.setState({ kind: 'ready', ...info });
    return ready;
  }

  private async choosePort(requested: number): Promise<number> {
    if (!isValidPort(requested)) throw new HeadroomError(`Port ${requested} is not a port: it must be ${PORT_RULE}.`, 'Fix headroom.port.');
    if (requested === 0) return findFreePort();
    if (!(await isPortFree(requested))) {
      throw new HeadroomError(
        `Port ${requested} on 127.0.0.1 is already in use by another program.`,
        'Choose another headroom.port, or set it to 0 to use any free port.',
      );
    }
    return requested;
  }

  private async waitHealthy(baseUrl: string, generation: number, exitInfo: () => Exit | null, config: ServerConfig): Promise<void> {
    const interval = this.deps.healthIntervalMs ?? 200;
    const deadline = Date.now() + (this.deps.loadTimeoutMs ?? 15 * 60_000);
    for (;;) {
      this.assertCurrent(generation);
      const exit = exitInfo();
      if (exit) {
        const failure = classifyFailure(this.tail.toArray(), exit.info, exit.oomKilled);
        throw new ServerLoadError(
          `llama-server stopped while loading ${basename(config.modelPath)}: ${failure.message}`,
          failure,
          this.tail.toArray().slice(-CRASH_TAIL),
        );
      }
      const status = await healthStatus(baseUrl);
      if (status === 200) return;
      if (status === 503 && this.current.kind === 'starting') this.setState({ kind: 'loading', percent: null });
      if (Date.now() > deadline) {
        this.process?.kill('SIGKILL');
        throw new HeadroomError(`llama-server did not become ready within ${Math.round((this.deps.loadTimeoutMs ?? 900_000) / 1000)} s.`);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  }

  private onCrash({ info: exit, oomKilled }: Exit): void {
    const stderrTail = this.tail.toArray().slice(-CRASH_TAIL);
    this.ready = null;
    const decision = this.policy.onCrash();
    const failure = classifyFailure(stderrTail, exit, oomKilled);
    if (!decision.restart) {
      this.setState({
        kind: 'failed',
        error: `llama-server crashed ${decision.crashesInWindow} times in a short time and was not restarted. Last: ${failure.message}`,
      });
      return;
    }
    this.setState({ kind: 'crashed', code: exit.code, signal: exit.signal, reason: failure.message, stderrTail, retryInMs: decision.delayMs });
    const generation = this.generation;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (generation !== this.generation) return;
      const adjusted = this.config && this.deps.adjustAfterCrash ? this.deps.adjustAfterCrash(failure, this.config) : Promise.resolve(undefined);
      adjusted
        .then((config) => {
          if (generation !== this.generation) return undefined;
          if (config) this.config = config;
          return this.launch(generation);
        })
        .catch((err: unknown) => {
          if (generation === this.generation) this.setState({ kind: 'failed', error: errorMessage(err) });
        });
    }, decision.delayMs);
  }

  private oomKillCount(): number | undefined {
    return (this.deps.oomKillCount ?? readOomKillCount)();
  }

  private assertCurrent(generation: number): void {
    if (generation !== this.generation) throw new HeadroomError('The start was cancelled.');
  }

  private setState(state: ServerState): void {
    this.current = state;
    this.stateEmitter.fire(state);
  }
}
