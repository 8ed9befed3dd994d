import * as vscode from 'vscode';
import { ChatHistory } from '../../chat/chatHistory';
import { ContextTracker } from '../../chat/contextTracker';
import type { Conversation } from '../../chat/conversation';
import { ChatStore } from '../../chat/store';
import { VsCodeChatModels } from './chatModels';
import { ChatViewProvider } from './chatViewProvider';
import { ApplyEdits } from './applyEdit';
import { EditorContextSource } from './editorContext';
import type { ChatTarget } from '../server/chatTarget';
import { HeadroomError } from '../../common/errors';
import { modelCommands } from '../models/modelCommands';

export interface ChatSetup {
  disposables: vscode.Disposable[];
  /** Writes the open conversation now; deactivate() waits for it. */
  flush(): Promise<void>;
}

/**
 * The chat view and what it needs: history in globalStorage (one JSON file per chat, see chat/store.ts),
 * editor context with token counts from the active chat target (the local model or a running server), and the New Chat / Focus Chat commands.
 */
export function setupChat(context: vscode.ExtensionContext, conversation: Conversation, target: ChatTarget, log: vscode.LogOutputChannel): ChatSetup {
  const store = new ChatStore(vscode.Uri.joinPath(context.globalStorageUri, 'chats').fsPath);
  const history = new ChatHistory(store, conversation);
  const problems = history.onProblem((message) => {
    log.warn(message);
    void vscode.window.showWarningMessage(message);
  });
  const tracker = new ContextTracker({
    source: new EditorContextSource(),
    getTokenCounter: () => target.connection()?.counter,
    getContextSize: () => target.connection()?.contextSize,
    getHistory: () => conversation.history(),
    log,
  });
  const applyEdits = new ApplyEdits(log);
  const models = modelCommands({ log, secrets: context.secrets });
  const chatView = new ChatViewProvider({
    applyEdits,
    extensionUri: context.extensionUri,
    conversation,
    getServerView: () => target.view,
    onDidChangeServerView: target.onDidChangeView,
    getBackend: () => target.connection()?.backend,
    startServer: () => (target.usesEndpoint ? void target.endpoint.refresh() : void vscode.commands.executeCommand('headroom.start')),
    // A message sent with nothing running starts the model (or opens the picker), then goes out.
    startForSend: async () => {
      if (target.usesEndpoint) return (await target.endpoint.ready()).backend;
      const server = target.controller;
      await server.ensureRunning(() => models.firstRun());
      const backend = server.backend();
      if (!backend) throw new HeadroomError('The model stopped before the message could be sent.', 'Send it again.');
      return backend;
    },
    log,
    history,
    context: tracker,
    models: new VsCodeChatModels(target.controller, log),
    runCommand: (command) => void vscode.commands.executeCommand(command),
  });
  void history.init();
  return {
    disposables: [
      problems,
      history,
      store,
      tracker,
      applyEdits,
      chatView,
      vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chatView, { webviewOptions: { retainContextWhenHidden: false } }),
      vscode.commands.registerCommand('headroom.newChat', () => chatView.newChat()),
      vscode.commands.registerCommand('headroom.focusChat', () => chatView.focus()),
      vscode.commands.registerCommand('headroom.showChatHistory', () => chatView.showHistory()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (['modelPath', 'modelFolders', 'downloadFolder'].some((key) => e.affectsConfiguration(`headroom.${key}`))) chatView.refreshModels();
      }),
    ],
    flush: () => history.saveNow(),
  };
}
