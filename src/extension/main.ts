import * as vscode from 'vscode';
import { Conversation } from './chat/conversation';
import { SystemHardwareProbe } from './memory/hardware';
import { ChatViewProvider } from './vscode/chatViewProvider';
import { registerCommands } from './vscode/commands';
import { affectsRestart } from './vscode/config';
import { ServerController } from './vscode/serverController';
import { StatusBar } from './vscode/statusBar';

let controller: ServerController | undefined;

/** Builds the object graph; every Disposable is owned by the extension context. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Headroom', { log: true });
  const serverOutput = vscode.window.createOutputChannel('Headroom Server');
  const server = new ServerController(context.extensionPath, log, serverOutput);
  controller = server;
  const conversation = new Conversation();
  const statusBar = new StatusBar(server, new SystemHardwareProbe());
  const chatView = new ChatViewProvider({
    extensionUri: context.extensionUri,
    conversation,
    getServerView: () => server.view,
    onDidChangeServerView: server.onDidChangeView,
    getBackend: () => server.backend(),
    startServer: () => void vscode.commands.executeCommand('headroom.start'),
    log,
  });
  context.subscriptions.push(
    log,
    serverOutput,
    server,
    conversation,
    statusBar,
    chatView,
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chatView, { webviewOptions: { retainContextWhenHidden: false } }),
    vscode.commands.registerCommand('headroom.newChat', () => conversation.clear()),
    conversation.onEvent((e) => {
      if (e.type === 'entryDone' && e.stats) statusBar.setTokensPerSecond(e.stats.tokensPerSecond);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      const kind = server.supervisor.state.kind;
      if (!affectsRestart(e) || kind === 'stopped' || kind === 'failed') return;
      const choice = await vscode.window.showInformationMessage('Headroom: the new settings apply when llama-server restarts.', 'Restart now');
      if (choice) void vscode.commands.executeCommand('headroom.restart');
    }),
    ...registerCommands({ extensionPath: context.extensionPath, controller: server, log, serverOutput }),
  );
  log.info('Headroom activated');
}

/** VS Code waits for this promise, so llama-server never outlives the window. */
export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
