import * as vscode from 'vscode';
import { headroomCacheDir } from '../../common/cacheDir';
import { Emitter, type Disposable } from '../../common/emitter';
import { HeadroomError } from '../../common/errors';
import { OpenAiClient } from '../../chat/openaiClient';
import type { ChatBackend } from '../../chat/types';
import { ModelRunner } from '../../runner/modelRunner';
import { checkExtraArgs } from '../../llama/serverArgs';
import type { ReadyServer, Supervisor } from '../../llama/supervisor';
import type { HardwareProbe } from '../../memory/hardware';
import type { PlanReport } from '../../memory/planReport';
import type { ServerState } from '../../llama/serverState';
import { readConfig } from '../config';
import { serverView, type ServerView } from '../../present/serverView';
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

  constructor(
    extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    serverOutput: vscode.OutputChannel,
    probe: HardwareProbe,
  ) {
    this.runner = new ModelRunner(
      {
        cacheRoot: headroomCacheDir(),
        sourceFrom: extensionPath,
        llamaServerPath: () => readConfig().llamaServerPath || undefined,
        onServerLine: (line) => serverOutput.appendLine(line),
        onBuildLine: (line) => serverOutput.appendLine(line),
        onLocated: (s) => log.info(`llama-server: ${s.path} (${s.source}, ${s.version})`),
        stallTimeoutMs: () => readConfig().stallTimeoutSeconds * 1000,
      },
      probe,
      new TuneStore(headroomCacheDir()),
    );
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
    return this.runner.planOnly({ modelPath: model, wishes: config.wishes, port: config.port, extraArgs: config.extraServerArgs });
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

  async start(modelPath: string): Promise<ReadyServer> {
    const config = readConfig();
    const { server } = await this.runner.start({
      modelPath,
      wishes: config.wishes,
      port: config.port,
      extraArgs: checkExtraArgs(config.extraServerArgs),
    });
    return server;
  }

  async restart(): Promise<ReadyServer> {
    const model = readConfig().modelPath;
    if (!model) throw new HeadroomError('No model is configured.', 'Run "Headroom: Select Model..." first.');
    return this.start(model);
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }

  dispose(): void {
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

  /** A notification whose bar follows the build's percentage (VS Code takes increments). */
  private openBuildProgress(): { report(percent: number, message: string): void; done(): void } {
    let last = 0;
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
      reporter.report({ message: `${Math.floor(percent)}% ${message}`, increment });
    };
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Headroom: building llama.cpp' },
      (progress) =>
        new Promise<void>((resolve) => {
          reporter = progress;
          finish = resolve;
          for (const p of pending.splice(0)) report(p.percent, p.message);
        }),
    );
    return { report, done: () => finish() };
  }
}
