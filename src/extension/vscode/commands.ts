import * as vscode from 'vscode';
import { join } from 'node:path';
import { headroomCacheDir } from '../common/cacheDir';
import { errorMessage } from '../common/errors';
import { ensureDemoModel } from '../demoModel';
import { resolveServer } from '../llama/locateServer';
import { readConfig } from './config';
import type { ServerController } from './serverController';

export interface CommandDeps {
  extensionPath: string;
  controller: ServerController;
  log: vscode.LogOutputChannel;
  serverOutput: vscode.OutputChannel;
}

/** Every command goes through here: failures are logged and shown with a way forward, never swallowed. */
function command(deps: CommandDeps, id: string, run: () => PromiseLike<unknown>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async () => {
    try {
      return await run();
    } catch (err) {
      const message = errorMessage(err);
      if (/start was cancelled/.test(message)) return undefined;
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

async function chooseModelFile(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use this model',
    filters: { 'GGUF models': ['gguf'] },
    title: 'Headroom: choose a GGUF model',
  });
  return picked?.[0]?.fsPath;
}

async function saveModelPath(path: string): Promise<void> {
  const target =
    vscode.workspace.workspaceFolders?.length &&
    (await vscode.window.showQuickPick(['Workspace', 'User'], { title: 'Save headroom.modelPath for this workspace or for you?' })) === 'Workspace'
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('headroom').update('modelPath', path, target);
}

/** With no model configured: browse for one, or run the generated demo model. */
async function firstRunModel(): Promise<string | undefined> {
  const browse = 'Browse for a GGUF file...';
  const demo = 'Try the demo model (random weights, gibberish replies)';
  const choice = await vscode.window.showQuickPick([browse, demo], { title: 'Headroom: no model is configured (headroom.modelPath)' });
  if (choice === browse) {
    const path = await chooseModelFile();
    if (path) await saveModelPath(path);
    return path;
  }
  if (choice === demo) return ensureDemoModel(join(headroomCacheDir(), 'models'));
  return undefined;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { controller } = deps;
  const start = async (): Promise<void> => {
    const model = readConfig().modelPath || (await firstRunModel());
    if (!model) return;
    const server = await controller.start(model);
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
      const path = await chooseModelFile();
      if (!path) return;
      await saveModelPath(path);
      if (controller.supervisor.state.kind !== 'stopped') {
        const restart = await vscode.window.showInformationMessage(`Headroom: model set to ${path}.`, 'Restart with it');
        if (restart) await controller.start(path);
      }
    }),
    command(deps, 'headroom.buildLlama', () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Headroom: llama.cpp' }, async (progress) => {
        let last = 0;
        const located = await resolveServer({
          configuredPath: readConfig().llamaServerPath || undefined,
          cacheRoot: headroomCacheDir(),
          sourceFrom: deps.extensionPath,
          onProgress: (percent, message) => {
            progress.report({ message: `${Math.floor(percent)}% ${message}`, increment: Math.max(0, percent - last) });
            last = Math.max(last, percent);
          },
          onLine: (line) => deps.serverOutput.appendLine(line),
        });
        void vscode.window.showInformationMessage(`Headroom: llama-server ${located.version} (${located.source}) at ${located.path}`);
      }),
    ),
    command(deps, 'headroom.showServerLog', async () => deps.serverOutput.show(true)),
    command(deps, 'headroom.statusMenu', async () => {
      const kind = controller.supervisor.state.kind;
      const running = kind !== 'stopped' && kind !== 'failed';
      const items = running
        ? ['Stop Local Model', 'Restart Local Model', 'Show Server Log']
        : ['Start Local Model', 'Select Model...', 'Show Server Log'];
      const ids: Record<string, string> = {
        'Stop Local Model': 'headroom.stop',
        'Restart Local Model': 'headroom.restart',
        'Start Local Model': 'headroom.start',
        'Select Model...': 'headroom.selectModel',
        'Show Server Log': 'headroom.showServerLog',
      };
      const choice = await vscode.window.showQuickPick(items, { title: `Headroom: ${controller.view.label}` });
      if (choice) await vscode.commands.executeCommand(ids[choice]);
    }),
  ];
}
