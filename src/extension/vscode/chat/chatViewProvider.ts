import * as vscode from 'vscode';
import type { Conversation } from '../../chat/conversation';
import type { ChatBackend } from '../../chat/types';
import { chatHtml, createNonce } from '../../present/chatHtml';
import { ChatViewController, type ChatModels, type ChatViewPort, type ViewCommand } from '../../present/chatViewController';
import type { ChatHistory } from '../../chat/chatHistory';
import type { ContextTracker } from '../../chat/contextTracker';
import { VsCodeChatActions } from './chatActions';
import type { ApplyEdits } from './applyEdit';
import type { Event } from '../../common/emitter';
import type { ServerView } from '../../present/serverView';

export interface ChatViewDeps {
  extensionUri: vscode.Uri;
  conversation: Conversation;
  getServerView(): ServerView;
  /** A common/emitter Event or a vscode.Event: both fit this shape. */
  onDidChangeServerView: Event<ServerView>;
  /** The backend of the running server, or undefined while no model is ready. */
  getBackend(): ChatBackend | undefined;
  startServer(): void;
  /** Starts the model for a message sent while none runs (see ChatViewControllerDeps). */
  readonly startForSend?: () => Promise<ChatBackend>;
  log: vscode.LogOutputChannel;
  history?: ChatHistory;
  context?: ContextTracker;
  applyEdits: ApplyEdits;
  models?: ChatModels;
  runCommand?(command: ViewCommand): void;
}

/** The chat sidebar: sets up the webview and adapts it to ChatViewController, which holds the logic. */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'headroom.chat';

  private readonly controller: ChatViewController;
  private viewDisposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ChatViewDeps) {
    this.controller = new ChatViewController({ ...deps, actions: new VsCodeChatActions(deps.log, deps.applyEdits) });
  }

  /** 'Headroom: Focus Chat': reveals the view, then puts the cursor in its input. */
  async focus(): Promise<void> {
    await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
    this.controller.focusInput();
  }

  newChat(): Promise<void> {
    return this.controller.newChat();
  }

  showHistory(): void {
    this.controller.showHistory();
  }

  refreshModels(): void {
    void this.controller.refreshModels();
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.releaseView();
    const { extensionUri, log } = this.deps;
    const scriptRoot = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    const mediaRoot = vscode.Uri.joinPath(extensionUri, 'media');
    // Codicons (font and stylesheet) are copied next to the bundle by esbuild.mjs: inside the script root.
    const webview = view.webview;
    webview.options = { enableScripts: true, localResourceRoots: [scriptRoot, mediaRoot] };
    webview.html = chatHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, 'chat.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'chat.css')).toString(),
      iconStyleUri: webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, 'codicon.css')).toString(),
      nonce: createNonce(),
    });
    const port: ChatViewPort = {
      get visible() {
        return view.visible;
      },
      post: (message) => {
        webview.postMessage(message).then(
          (delivered) => {
            if (!delivered) log.debug(`Chat view: '${message.type}' was not delivered`);
          },
          (err: unknown) => log.warn(`Chat view: posting '${message.type}' failed`, err),
        );
      },
    };
    this.controller.attach(port);
    this.viewDisposables.push(
      { dispose: () => this.controller.detach(port) },
      webview.onDidReceiveMessage((message: unknown) => this.controller.receive(message)),
      view.onDidChangeVisibility(() => this.controller.visibilityChanged()),
      view.onDidDispose(() => this.releaseView()),
    );
  }

  dispose(): void {
    this.releaseView();
    this.controller.dispose();
  }

  private releaseView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }
}
