import * as vscode from 'vscode';
import { Conversation } from './chat/conversation';
import { SystemHardwareProbe } from './memory/hardware';
import { setupChat } from './vscode/chat/chatSetup';
import { registerCommands } from './vscode/server/commands';
import { affectsRestart, readChatSettings } from './vscode/config';
import { registerExplain } from './vscode/explain/explainCommands';
import { registerCompletion } from './vscode/completion/completionSetup';
import { registerPlanPanel } from './vscode/plan/planPanel';
import { registerLanguageModel } from './vscode/languageModel/headroomChatModel';
import { ServerController } from './vscode/server/serverController';
import { ChatTarget } from './vscode/server/chatTarget';
import { registerEndpointCommands } from './vscode/endpoints/endpointCommands';
import { EndpointTarget } from './vscode/endpoints/endpointTarget';
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
  const endpoint = new EndpointTarget(context.secrets, log);
  const target = new ChatTarget(server, endpoint);
  const conversation = new Conversation({ systemPrompt: () => readChatSettings().systemPrompt });
  const statusBar = new StatusBar(server, probe, endpoint);
  const chat = setupChat(context, conversation, target, log);
  flushChat = () => chat.flush();
  context.subscriptions.push(
    log,
    serverOutput,
    server,
    endpoint,
    target,
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
    ...registerLanguageModel(server),
    ...registerExplain({ extensionPath: context.extensionPath, controller: server, log, serverOutput, conversation, target }),
    ...registerEndpointCommands({ extensionPath: context.extensionPath, controller: server, log, serverOutput, endpoint, secrets: context.secrets }),
    ...registerPlanPanel({ extensionUri: context.extensionUri, controller: target.planSource(), log }),
    ...registerCompletion({ extensionPath: context.extensionPath, controller: server, log, serverOutput, probe }),
  );
  log.info('Headroom activated');
  void server.onWindowOpened().catch((err: unknown) => log.warn(`at window open: ${err instanceof Error ? err.message : String(err)}`));
}

/** VS Code waits for this promise: the window lets go of its shared server (the last one out stops it after the idle time). */
export async function deactivate(): Promise<void> {
  // Called first, before anything awaits: VS Code disposes the subscriptions right after calling deactivate().
  const released = controller?.release();
  await flushChat?.().catch(() => undefined);
  await released;
  controller = undefined;
}
