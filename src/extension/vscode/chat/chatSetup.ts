import * as vscode from 'vscode';
import { ChatHistory } from '../../chat/chatHistory';
import { ContextTracker } from '../../chat/contextTracker';
import type { Conversation } from '../../chat/conversation';
import { ChatStore } from '../../chat/store';
import { ServerTokenCounter } from '../../chat/tokenCounter';
import { ChatViewProvider } from './chatViewProvider';
import { EditorContextSource } from './editorContext';
import type { ServerController } from '../server/serverController';
import { HeadroomError } from '../../common/errors';
import { modelCommands } from '../models/modelCommands';

export interface ChatSetup {
  disposables: vscode.Disposable[];
  /** Writes the open conversation now; deactivate() waits for it. */
  flush(): Promise<void>;
}

/**
 * The chat view and what it needs: history in globalStorage (one JSON file per chat, see chat/store.ts),
 * editor context with token counts from the running server, and the New Chat / Focus Chat commands.
 */
export function setupChat(context: vscode.ExtensionContext, conversation: Conversation, server: ServerController, log: vscode.LogOutputChannel): ChatSetup {
  const store = new ChatStore(vscode.Uri.joinPath(context.globalStorageUri, 'chats').fsPath);
  const history = new ChatHistory(store, conversation);
  const problems = history.onProblem((message) => {
    log.warn(message);
    void vscode.window.showWarningMessage(message);
  });
  const tracker = new ContextTracker({
    source: new EditorContextSource(),
    getTokenCounter: () => {
      const ready = server.server;
      return ready ? new ServerTokenCounter({ baseUrl: ready.baseUrl, apiKey: ready.apiKey }) : undefined;
    },
    getContextSize: () => server.server?.contextSize,
    getHistory: () => conversation.history(),
    log,
  });
  const models = modelCommands({ log, secrets: context.secrets });
  const chatView = new ChatViewProvider({
    extensionUri: context.extensionUri,
    conversation,
    getServerView: () => server.view,
    onDidChangeServerView: server.onDidChangeView,
    getBackend: () => server.backend(),
    startServer: () => void vscode.commands.executeCommand('headroom.start'),
    startForSend: async () => {
      await server.ensureRunning(() => models.firstRun());
      const backend = server.backend();
      if (!backend) throw new HeadroomError('The model stopped before the message could be sent.', 'Send it again.');
      return backend;
    },
    log,
    history,
    context: tracker,
  });
  void history.init();
  return {
    disposables: [
      problems,
      history,
      store,
      tracker,
      chatView,
      vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chatView, { webviewOptions: { retainContextWhenHidden: false } }),
      vscode.commands.registerCommand('headroom.newChat', () => chatView.newChat()),
      vscode.commands.registerCommand('headroom.focusChat', () => chatView.focus()),
    ],
    flush: () => history.saveNow(),
  };
}
