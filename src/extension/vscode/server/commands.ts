import * as vscode from 'vscode';
import { headroomCacheDir } from '../../common/cacheDir';
import { CancelledError, errorMessage } from '../../common/errors';
import { MissingPrerequisitesError } from '../../llama/backendPrerequisites';
import { BUILD_BACKENDS, type BuildBackend } from '../../llama/buildBackend';
import { BuildCancelledError } from '../../llama/llamaBuild';
import { buildServer, resolveServer, type ResolveOptions } from '../../llama/locateServer';
import { readConfig } from '../config';
import { buildProgressText } from '../../present/buildProgressText';
import { modelCommands } from '../models/modelCommands';
import type { ServerController } from './serverController';
import { TUNE_COMMAND, tuneCommand } from './tuneCommand';

export interface CommandDeps {
  extensionPath: string;
  controller: ServerController;
  log: vscode.LogOutputChannel;
  serverOutput: vscode.OutputChannel;
  /** Keeps the Hugging Face token for private and gated downloads. */
  secrets?: vscode.SecretStorage;
}

/** Every command goes through here: failures are logged and shown with a way forward, never swallowed. */
export function command(deps: CommandDeps, id: string, run: (...args: unknown[]) => PromiseLike<unknown>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      return await run(...args);
    } catch (err) {
      if (err instanceof BuildCancelledError || err instanceof MissingPrerequisitesError) return showBuildRefusal(deps, id, err);
      if (err instanceof CancelledError) return undefined;
      const message = errorMessage(err);
      deps.log.error(`${id}: ${message}`);
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : '';
      if (cause) deps.log.error(cause);
      const choice = await vscode.window.showErrorMessage(`Headroom: ${message}`, 'Show Server Log', 'Select Model...');
      if (choice === 'Show Server Log') deps.serverOutput.show(true);
      if (choice === 'Select Model...') void vscode.commands.executeCommand('headroom.selectModel');
      return undefined;
    }
  });
}

/** A cancelled build is news, not an error; a GPU build this machine cannot do offers the CPU build instead. */
async function showBuildRefusal(deps: CommandDeps, id: string, err: BuildCancelledError | MissingPrerequisitesError): Promise<undefined> {
  deps.log.info(`${id}: ${err.message}`);
  if (err instanceof BuildCancelledError) {
    void vscode.window.showInformationMessage(`Headroom: ${err.message}`);
    return undefined;
  }
  const choice = await vscode.window.showErrorMessage(`Headroom: ${errorMessage(err)}`, 'Build for CPU now', 'Show Server Log');
  if (choice === 'Build for CPU now') void vscode.commands.executeCommand('headroom.buildLlama', 'cpu');
  if (choice === 'Show Server Log') deps.serverOutput.show(true);
  return undefined;
}

/**
 * "Headroom: Build llama.cpp": finds llama-server or builds it for the backend this machine can build; with a
 * backend argument (the "Build for CPU now" button passes 'cpu') it builds for that one. Cancel stops the build.
 */
function buildCommand(deps: CommandDeps, backendArg: unknown): Thenable<void> {
  const backend = BUILD_BACKENDS.find((b): b is BuildBackend => b === backendArg);
  const title = `Headroom: llama.cpp${backend ? ` (${backend})` : ''}`;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const cancellation = token.onCancellationRequested(() => abort.abort());
    let last = 0;
    const startedAt = Date.now();
    const options: ResolveOptions = {
      configuredPath: readConfig().llamaServerPath || undefined,
      cacheRoot: headroomCacheDir(),
      sourceFrom: deps.extensionPath,
      backend,
      onProgress: (percent, message) => {
        progress.report({ message: buildProgressText(percent, message, Date.now() - startedAt), increment: Math.max(0, percent - last) });
        last = Math.max(last, percent);
      },
      onLine: (line) => deps.serverOutput.appendLine(line),
      onChoice: (choice) => deps.log.info(`build: ${choice.backend} (${choice.reason})`),
      signal: abort.signal,
    };
    try {
      const located = backend ? await buildServer(options) : await resolveServer(options);
      void vscode.window.showInformationMessage(`Headroom: llama-server ${located.version} (${located.source}) at ${located.path}`);
    } finally {
      cancellation.dispose();
    }
  });
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { controller } = deps;
  const models = modelCommands(deps);
  const start = async (): Promise<void> => {
    // Start while a server runs would kill it for nothing; Restart is the command that replaces it.
    if (controller.supervisor.server) {
      void vscode.window.showInformationMessage(`Headroom: ${controller.view.label}. Use "Restart Local Model" to start it again.`);
      return;
    }
    // A start in progress (or the look for a shared server as the window opened, which may end in none) is
    // waited for, then started if it ended stopped.
    const model = readConfig().modelPath || (await models.firstRun());
    if (!model) return;
    const server = await controller.ensureRunning(async () => model);
    deps.log.info(`ready: ${server.model} at ${server.baseUrl}`);
  };
  return [
    command(deps, 'headroom.start', start),
    command(deps, 'headroom.stop', () => controller.stop()),
    command(deps, 'headroom.restart', async () => {
      if (!readConfig().modelPath) return start();
      await controller.restart();
    }),
    command(deps, 'headroom.selectModel', async () => {
      const path = await models.select();
      if (!path) return;
      if (controller.supervisor.state.kind !== 'stopped') {
        const restart = await vscode.window.showInformationMessage(`Headroom: model set to ${path}.`, 'Restart with it');
        if (restart) await controller.start(path);
      }
    }),
    command(deps, 'headroom.downloadModel', (ref) => models.download(ref)),
    command(deps, 'headroom.setHuggingFaceToken', () => models.setToken()),
    command(deps, 'headroom.buildLlama', (backend) => buildCommand(deps, backend)),
    command(deps, 'headroom.showServerLog', async () => deps.serverOutput.show(true)),
    command(deps, TUNE_COMMAND, () => tuneCommand(controller, deps.log)),
    command(deps, 'headroom.statusMenu', async () => {
      const kind = controller.supervisor.state.kind;
      const running = kind !== 'stopped' && kind !== 'failed';
      const items = running
        ? ['Stop Local Model', 'Restart Local Model', 'Show Server Log']
        : ['Start Local Model', 'Select Model...', 'Show Server Log'];
      const ids: Partial<Record<string, string>> = {
        'Stop Local Model': 'headroom.stop',
        'Restart Local Model': 'headroom.restart',
        'Start Local Model': 'headroom.start',
        'Select Model...': 'headroom.selectModel',
        'Show Server Log': 'headroom.showServerLog',
      };
      const choice = await vscode.window.showQuickPick(items, { title: `Headroom: ${controller.view.label}` });
      const id = choice === undefined ? undefined : ids[choice];
      if (id) await vscode.commands.executeCommand(id);
    }),
  ];
}
