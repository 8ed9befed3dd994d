import { join } from 'node:path';
import { buildProgressText } from '../../present/buildProgressText';
import * as vscode from 'vscode';
import { headroomCacheDir } from '../../common/cacheDir';
import { Emitter, type Disposable } from '../../common/emitter';
import { HeadroomError } from '../../common/errors';
import { OpenAiClient } from '../../chat/openaiClient';
import type { ChatBackend } from '../../chat/types';
import type { ChatConnection } from '../../chat/chatConnection';
import { ServerTokenCounter } from '../../chat/tokenCounter';
import { ModelRunner } from '../../runner/modelRunner';
import { checkExtraArgs } from '../../llama/serverArgs';
import { parseRpcWorkers } from '../../endpoints/rpcWorkers';
import type { ReadyServer, Supervisor } from '../../llama/supervisor';
import type { HardwareProbe } from '../../memory/hardware';
import type { PlanReport } from '../../memory/planReport';
import type { ServerState } from '../../llama/serverState';
import { readConfig } from '../config';
import { serverView, type ServerView } from '../../present/serverView';
import { ServerSharing, sharedServersDir } from '../../llama/shared/serverSharing';
import type { RunRequest } from '../../runner/modelRunner';
import type { Reservation } from '../../memory/sharedPlan';
import { CompletionModelServer } from '../completion/completionModelServer';

/** States on the way to ready: a chat message waits for them rather than starting again. */
const STARTING: readonly ServerState['kind'][] = ['locating', 'planning', 'building', 'starting', 'loading', 'crashed'];

/** What a start asks for, from the settings as they are now; `reserved`: the completion server's memory. */
function runRequest(modelPath: string, reserved: Reservation | undefined): RunRequest {
  const config = readConfig();
  return {
    modelPath,
    wishes: config.wishes,
    port: config.port,
    extraArgs: checkExtraArgs(config.extraServerArgs),
    rpcWorkers: parseRpcWorkers(config.rpcWorkers),
    reserved,
  };
}
import { TuneStore } from '../../runner/tuning/tuneStore';
import type { TuneReport } from '../../runner/tuning/tuneModel';
import type { TuneGoal, TuneProgress } from '../../runner/tuning/tuner';

/** How long "Tune for This Machine" measures at most. */
const TUNE_BUDGET_SECONDS = 120;

/**
 * Owns the model runner inside VS Code: reads settings, plans and starts, shows build progress as a
 * notification, tells the user what the recovery ladder changed, writes the server's output to its
 * channel, and hands a chat backend to the views.
 */
export class ServerController implements Disposable {
  readonly runner: ModelRunner;
  readonly supervisor: Supervisor;
  readonly onDidChangePlan: ModelRunner['onDidChangePlan'];
  readonly onDidTune: ModelRunner['onDidTune'];
  private readonly viewEmitter = new Emitter<ServerView>();
  readonly onDidChangeView = this.viewEmitter.event;
  private buildProgress: { report(percent: number, message: string): void; done(): void } | null = null;
  private readonly subscriptions: Disposable[] = [];
  /** Every window shares one server per model and settings (see llama/shared/). */
  private readonly sharing: ServerSharing;
  /** The second server of headroom.completion.modelPath: planned and started before this one, whose plan keeps its memory free. */
  readonly completion: CompletionModelServer;

  constructor(
    extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    serverOutput: vscode.OutputChannel,
    probe: HardwareProbe,
  ) {
    this.sharing = new ServerSharing({
      dir: sharedServersDir(headroomCacheDir()),
      idleStopMs: () => readConfig().idleStopMinutes * 60_000,
      reaperScript: join(extensionPath, 'dist', 'reaper.js'),
    });
    const setup = {
      cacheRoot: headroomCacheDir(),
      sourceFrom: extensionPath,
      llamaServerPath: () => readConfig().llamaServerPath || undefined,
      onServerLine: (line: string) => serverOutput.appendLine(line),
      onBuildLine: (line: string) => serverOutput.appendLine(line),
      stallTimeoutMs: () => readConfig().stallTimeoutSeconds * 1000,
    };
    this.runner = new ModelRunner(
      { ...setup, onLocated: (s) => log.info(`llama-server: ${s.path} (${s.source}, ${s.version})`), sharing: this.sharing },
      probe,
      new TuneStore(headroomCacheDir()),
    );
    // Window-local, not shared: a small server each window may hold, released with the window.
    this.completion = new CompletionModelServer(setup, probe, log);
    this.supervisor = this.runner.supervisor;
    this.onDidChangePlan = this.runner.onDidChangePlan;
    this.onDidTune = this.runner.onDidTune;
    this.subscriptions.push(
      this.supervisor.onDidChangeState((state) => this.onState(state)),
      this.runner.onDidRecover((change) => {
        log.warn(`recovery: ${change}`);
        void vscode.window.showWarningMessage(`Headroom: llama-server ran out of memory. ${change}`);
      }),
      this.runner.onDidChangePlan((report) => {
        if (report) log.info(`plan (${report.plan.source}): ${report.plan.reasons.join(' ')}`);
      }),
      this.runner,
      this.completion,
      this.viewEmitter,
    );
  }

  /** The plan of the running (or last) start. */
  get plan(): PlanReport | undefined {
    return this.runner.plan;
  }

  /** Plans a model (the configured one by default) without starting it. */
  async computePlan(modelPath?: string): Promise<PlanReport> {
    const config = readConfig();
    const model = modelPath ?? config.modelPath;
    if (!model) throw new HeadroomError('No model is configured.', 'Run "Headroom: Select Model..." first.');
    return this.runner.planOnly({
      modelPath: model,
      wishes: config.wishes,
      port: config.port,
      extraArgs: config.extraServerArgs,
      rpcWorkers: parseRpcWorkers(config.rpcWorkers),
      reserved: await this.completion.reservation(),
    });
  }

  /** Tunes the configured model for this machine (the winner is remembered; the next start uses it). */
  async tune(goal: TuneGoal, signal: AbortSignal, onProgress: (p: TuneProgress) => void): Promise<TuneReport> {
    const config = readConfig();
    if (!config.modelPath) throw new HeadroomError('No model is configured.', 'Run "Headroom: Select Model..." first.');
    return this.runner.tune({ modelPath: config.modelPath, wishes: config.wishes, goal, budgetSeconds: TUNE_BUDGET_SECONDS, signal, onProgress });
  }

  get view(): ServerView {
    return serverView(this.supervisor.state);
  }

  get server(): ReadyServer | undefined {
    return this.supervisor.server;
  }

  /** A client for the server as it is now (a restart may have moved it); undefined unless it is ready. */
  backend(): ChatBackend | undefined {
    const server = this.supervisor.server;
    return server ? new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, watch: server.watch }) : undefined;
  }

  /** The running server as a chat connection (the seam Chat and Explain use); undefined unless it is ready. */
  connection(): ChatConnection | undefined {
    const server = this.supervisor.server;
    const backend = this.backend();
    if (!server || !backend) return undefined;
    return { backend, counter: new ServerTokenCounter({ baseUrl: server.baseUrl, apiKey: server.apiKey }), contextSize: server.contextSize };
  }

  async start(modelPath: string): Promise<ReadyServer> {
    // The completion model first (when one is set and completion is on): the chat plan keeps what it measured free.
    await this.completion.ensure();
    const { server } = await this.runner.start(runRequest(modelPath, await this.completion.reservation()));
    return server;
  }

  /**
   * As the window opens: with autoStart, starts the configured model (attaching when another window runs
   * it); without, attaches only to a server that already runs, so a reload finds its model still up.
   */
  async onWindowOpened(): Promise<void> {
    const config = readConfig();
    if (!config.modelPath || this.supervisor.state.kind !== 'stopped') return;
    const started = Date.now();
    const server = config.autoStart ? await this.start(config.modelPath) : await this.runner.attach(runRequest(config.modelPath, await this.completion.reservation()));
    if (server) this.log.info(`attached or started at window open: ${server.model} (pid ${server.pid}) in ${Date.now() - started} ms`);
  }

  /**
   * The ready server for a chat message: the one running, the start in progress, or a new start of the
   * configured model (`pickModel` asks for one when none is configured).
   */
  async ensureRunning(pickModel: () => Promise<string | undefined>): Promise<ReadyServer> {
    const ready = this.supervisor.server;
    if (ready) return ready;
    if (STARTING.includes(this.supervisor.state.kind)) {
      // The look for a shared server as the window opened may end in stopped (none runs): then start one.
      try {
        return await this.supervisor.whenReady();
      } catch (err) {
        if (this.supervisor.state.kind !== 'stopped') throw err;
      }
    }
    const model = readConfig().modelPath || (await pickModel());
    if (!model) throw new HeadroomError('No model is selected, so the message was not sent.', 'Pick one with "Headroom: Select Model...", then send it again.');
    return this.start(model);
  }

  /** The window closes: it lets go of its server, which keeps running for other windows or the idle time. */
  async release(): Promise<void> {
    this.sharing.keepRunning = true;
    await Promise.all([this.supervisor.stop(), this.completion.stop()]);
  }

  async restart(): Promise<ReadyServer> {
    const model = readConfig().modelPath;
    if (!model) throw new HeadroomError('No model is configured.', 'Run "Headroom: Select Model..." first.');
    // A restart replaces the shared server for every window using it; they attach to the new one.
    if (this.supervisor.server) this.sharing.endForEveryone = true;
    return this.start(model);
  }

  async stop(): Promise<void> {
    await Promise.all([this.supervisor.stop(), this.completion.stop()]);
  }

  dispose(): void {
    // Only deactivate disposes this, and VS Code disposes the subscriptions right after calling deactivate(),
    // without waiting for it: the window is closing, so its server is let go, not stopped.
    this.sharing.keepRunning = true;
    this.buildProgress?.done();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private onState(state: ServerState): void {
    this.log.info(`server: ${state.kind}${state.kind === 'failed' ? ` (${state.error})` : ''}`);
    if (state.kind === 'crashed' && state.stalled) {
      this.log.warn(state.reason);
      void vscode.window.showWarningMessage(`Headroom: ${state.reason} Restarting it.`);
    }
    if (state.kind === 'building') {
      if (!this.buildProgress) this.buildProgress = this.openBuildProgress();
      this.buildProgress.report(state.percent, state.message);
    } else if (this.buildProgress) {
      this.buildProgress.done();
      this.buildProgress = null;
    }
    this.viewEmitter.fire(serverView(state));
  }

  /**
   * One notification for the build a start needs: its bar follows the build's percentage, its message the time
   * left at the pace so far; Cancel stops the start, which stops the build.
   */
  private openBuildProgress(): { report(percent: number, message: string): void; done(): void } {
    let last = 0;
    const startedAt = Date.now();
    let finish: () => void = () => undefined;
    let reporter: vscode.Progress<{ message?: string; increment?: number }> | null = null;
    const pending: { percent: number; message: string }[] = [];
    const report = (percent: number, message: string): void => {
      if (!reporter) {
        pending.push({ percent, message });
        return;
      }
      const increment = Math.max(0, percent - last);
      last = Math.max(last, percent);
      reporter.report({ message: buildProgressText(percent, message, Date.now() - startedAt), increment });
    };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Headroom: building llama.cpp', cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          reporter = progress;
          const cancel = token.onCancellationRequested(() => {
            this.log.info('build cancelled from its progress notification');
            void this.supervisor.stop();
          });
          finish = () => {
            cancel.dispose();
            resolve();
          };
          for (const p of pending.splice(0)) report(p.percent, p.message);
        }),
    );
    return { report, done: () => finish() };
  }
}
