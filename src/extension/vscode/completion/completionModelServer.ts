import * as vscode from 'vscode';
import type { Disposable } from '../../common/emitter';
import { errorMessage } from '../../common/errors';
import type { SupervisorSetup } from '../../llama/createSupervisor';
import type { ReadyServer } from '../../llama/supervisor';
import type { HardwareProbe } from '../../memory/hardware';
import type { Reservation } from '../../memory/sharedPlan';
import { completionReservation, completionRunRequest } from '../../runner/completionServer';
import { ModelRunner } from '../../runner/modelRunner';
import { readCompletionSettings, readConfig } from '../config';

/** The model file a server runs (its `--model` argument). */
export function modelPathOf(server: ReadyServer): string | undefined {
  const i = server.args.indexOf('--model');
  return i >= 0 ? server.args[i + 1] : undefined;
}

/**
 * The second llama-server of `headroom.completion.modelPath`: started on demand (the first completion due,
 * or just before the chat server so the chat plan can keep its memory free), one per window, stopped with
 * the chat server. A model that failed to start is not tried again until the setting changes.
 */
export class CompletionModelServer implements Disposable {
  readonly runner: ModelRunner;
  private starting: Promise<ReadyServer | undefined> | undefined;
  private readonly failed = new Set<string>();
  private readonly subscriptions: Disposable[] = [];

  constructor(setup: SupervisorSetup, private readonly probe: HardwareProbe, private readonly log: vscode.LogOutputChannel) {
    this.runner = new ModelRunner(setup, probe);
    this.subscriptions.push(
      this.runner,
      this.runner.onDidChangePlan((report) => {
        if (report) log.info(`completion model plan (${report.plan.source}): ${report.plan.reasons.join(' ')}`);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('headroom.completion')) return;
        this.failed.clear();
        const { enabled, modelPath } = readCompletionSettings();
        const running = this.runner.supervisor.server;
        if (running && (!enabled || modelPathOf(running) !== modelPath)) void this.stop();
      }),
    );
  }

  /** The configured completion model; '' when completion uses the chat model. */
  get modelPath(): string {
    return readCompletionSettings().modelPath;
  }

  /** The completion server when it is ready; otherwise undefined, and a start is begun. */
  serverNow(): ReadyServer | undefined {
    const running = this.runner.supervisor.server;
    if (running && modelPathOf(running) === this.modelPath) return running;
    void this.ensure();
    return undefined;
  }

  /** Starts the configured completion model unless it runs, is off, or failed; never throws (the chat server must still start). */
  ensure(): Promise<ReadyServer | undefined> {
    this.starting ??= this.startNow().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startNow(): Promise<ReadyServer | undefined> {
    const { enabled, modelPath } = readCompletionSettings();
    if (!enabled || !modelPath || this.failed.has(modelPath)) return undefined;
    const running = this.runner.supervisor.server;
    if (running && modelPathOf(running) === modelPath) return running;
    try {
      const { server } = await this.runner.start(completionRunRequest(modelPath, readConfig().wishes));
      this.log.info(`completion model: ${server.model} (pid ${server.pid}) at ${server.baseUrl}`);
      return server;
    } catch (err) {
      this.failed.add(modelPath);
      this.log.warn(`completion model: ${errorMessage(err)}`);
      void vscode.window.showWarningMessage(`Headroom: the completion model did not start. ${errorMessage(err)}`);
      return undefined;
    }
  }

  /** What the chat plan keeps free: the running completion server's plan (measured by the dry run where the build can). */
  async reservation(): Promise<Reservation | undefined> {
    return this.runner.supervisor.server ? completionReservation(this.runner, this.probe) : undefined;
  }

  stop(): Promise<void> {
    return this.runner.stop();
  }

  dispose(): void {
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }
}
