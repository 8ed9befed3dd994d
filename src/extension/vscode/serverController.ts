import * as vscode from 'vscode';
import { headroomCacheDir } from '../common/cacheDir';
import { Emitter, type Disposable } from '../common/emitter';
import { HeadroomError } from '../common/errors';
import { OpenAiClient } from '../chat/openaiClient';
import type { ChatBackend } from '../chat/types';
import { createSupervisor } from '../llama/createSupervisor';
import { checkExtraArgs } from '../llama/serverArgs';
import type { ReadyServer, Supervisor } from '../llama/supervisor';
import type { ServerState } from '../llama/serverState';
import type { ServerView } from '../../webview/protocol';
import { readConfig } from './config';
import { serverView } from './serverView';

/**
 * Owns the Supervisor inside VS Code: reads settings, shows build progress as a notification,
 * writes the server's output to its channel, and hands a chat backend to the views.
 */
export class ServerController implements Disposable {
  readonly supervisor: Supervisor;
  private readonly viewEmitter = new Emitter<ServerView>();
  readonly onDidChangeView = this.viewEmitter.event;
  private buildProgress: { report(percent: number, message: string): void; done(): void } | null = null;
  private readonly subscriptions: Disposable[] = [];

  constructor(
    extensionPath: string,
    private readonly log: vscode.LogOutputChannel,
    serverOutput: vscode.OutputChannel,
  ) {
    this.supervisor = createSupervisor({
      cacheRoot: headroomCacheDir(),
      sourceFrom: extensionPath,
      llamaServerPath: () => readConfig().llamaServerPath || undefined,
      onServerLine: (line) => serverOutput.appendLine(line),
      onBuildLine: (line) => serverOutput.appendLine(line),
      onLocated: (s) => log.info(`llama-server: ${s.path} (${s.source}, ${s.version})`),
    });
    this.subscriptions.push(
      this.supervisor.onDidChangeState((state) => this.onState(state)),
      this.supervisor,
      this.viewEmitter,
    );
  }

  get view(): ServerView {
    return serverView(this.supervisor.state);
  }

  get server(): ReadyServer | undefined {
    return this.supervisor.server;
  }

  backend(): ChatBackend | undefined {
    const server = this.supervisor.server;
    return server ? new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey }) : undefined;
  }

  async start(modelPath: string): Promise<ReadyServer> {
    const config = readConfig();
    return this.supervisor.start({
      modelPath,
      contextSize: config.contextSize,
      port: config.port,
      extraArgs: checkExtraArgs(config.extraServerArgs),
    });
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
