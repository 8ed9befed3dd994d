import * as vscode from 'vscode';
import { Conversation } from './chat/conversation';
import { SystemHardwareProbe } from './memory/hardware';
import { setupChat } from './vscode/chat/chatSetup';
import { registerCommands } from './vscode/server/commands';
import { affectsRestart, readChatSettings } from './vscode/config';
import { registerExplain } from './vscode/explain/explainCommands';
import { registerPlanPanel } from './vscode/plan/planPanel';
import { ServerController } from './vscode/server/serverController';
import { StatusBar } from './vscode/server/statusBar';

let controller: ServerController | undefined;
let flushChat: (() => Promise<void>) | undefined;

/** Builds the object graph; every Disposable is owned by the extension context. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Headroom', { log: true });
  const serverOutput = vscode.window.createOutputChannel('Headroom Server');
  const probe = new SystemHardwareProbe();
  const server = new ServerController(context.extensionPath, log, serverOutput, probe);
  controller = server;
  const conversation = new Conversation({ systemPrompt: () => readChatSettings().systemPrompt });
  const statusBar = new StatusBar(server, probe);
  const chat = setupChat(context, conversation, server, log);
  flushChat = () => chat.flush();
  context.subscriptions.push(
    log,
    serverOutput,
    server,
    conversation,
    statusBar,
    ...chat.disposables,
    conversation.onEvent((e) => {
      if (e.type === 'entryDone' && e.stats) statusBar.setTokensPerSecond(e.stats.tokensPerSecond);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      const kind = server.supervisor.state.kind;
      if (!affectsRestart(e) || kind === 'stopped' || kind === 'failed') return;
      const choice = await vscode.window.showInformationMessage('Headroom: the new settings apply when llama-server restarts.', 'Restart now');
      if (choice) void vscode.commands.executeCommand('headroom.restart');
    }),
    ...registerCommands({ extensionPath: context.extensionPath, controller: server, log, serverOutput, secrets: context.secrets }),
    ...registerExplain({ extensionPath: context.extensionPath, controller: server, log, serverOutput, conversation }),
    ...registerPlanPanel({ extensionUri: context.extensionUri, controller: server, log }),
  );
  log.info('Headroom activated');
}

/** VS Code waits for this promise, so llama-server never outlives the window. */
export async function deactivate(): Promise<void> {
  await flushChat?.().catch(() => undefined);
  await controller?.stop();
  controller = undefined;
}
