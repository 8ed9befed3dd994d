import type { Conversation } from './conversation';
import type { ChatBackend } from './types';
import { DeltaCoalescer } from './deltaCoalescer';
import type { Disposable, Event } from '../common/emitter';
import { isWebviewToHost, type HostToWebview, type ServerView } from '../../webview/protocol';

export const NOT_RUNNING_ERROR = "The model is not running. Start it with 'Headroom: Start Local Model'.";

/** What the controller needs of a webview view; chatViewProvider adapts vscode.WebviewView to it. */
export interface ChatViewPort {
  readonly visible: boolean;
  post(message: HostToWebview): void;
}

/** vscode.LogOutputChannel fits this. */
export interface ChatLog {
  debug(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string | Error, ...args: unknown[]): void;
}

export interface ChatViewControllerDeps {
  conversation: Conversation;
  getServerView(): ServerView;
  onDidChangeServerView: Event<ServerView>;
  getBackend(): ChatBackend | undefined;
  startServer(): void;
  log: ChatLog;
}

/**
 * The chat view's logic without VS Code. The host owns the conversation; the webview mirrors it from a
 * snapshot (sent on 'ready') plus incremental events. A hidden view gets nothing and nothing is queued
 * for it: it reloads and asks for a snapshot when shown again.
 */
export class ChatViewController implements Disposable {
  private readonly disposables: Disposable[] = [];
  private port: ChatViewPort | undefined;
  private readonly outbox = new DeltaCoalescer((message) => this.postNow(message));

  constructor(private readonly deps: ChatViewControllerDeps) {
    this.disposables.push(
      this.outbox,
      // clear() has no incremental form: the webview learns about the empty list from a snapshot.
      deps.conversation.onEvent((event) => (event.type === 'cleared' ? this.sendSnapshot() : this.post(event))),
      deps.onDidChangeServerView((server) => this.post({ type: 'server', server })),
    );
  }

  attach(port: ChatViewPort): void {
    this.outbox.discard();
    this.port = port;
  }

  detach(port: ChatViewPort): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.outbox.discard();
  }

  visibilityChanged(): void {
    // With retainContextWhenHidden the page survives hiding and won't say 'ready' again, so resync it
    // here; a page that reloads asks for its own snapshot, and a second one is harmless.
    if (this.port?.visible) this.sendSnapshot();
    else this.outbox.discard();
  }

  receive(message: unknown): void {
    if (!isWebviewToHost(message)) {
      this.deps.log.warn(`Chat view: dropped an invalid message from the webview (${describe(message)})`);
      return;
    }
    const { conversation } = this.deps;
    switch (message.type) {
      case 'ready':
        this.sendSnapshot();
        return;
      case 'send':
        this.send(message.text);
        return;
      case 'stop':
        conversation.stop();
        return;
      case 'startServer':
        this.deps.startServer();
        return;
      case 'newChat':
        conversation.clear();
        return;
    }
  }

  dispose(): void {
    this.port = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private send(text: string): void {
    const { conversation, log } = this.deps;
    if (conversation.busy) {
      // The webview blocks sending while busy, so this is a race; resync its busy state.
      log.warn('Chat view: refused a message while a reply is still streaming');
      this.post({ type: 'busy', busy: true });
      return;
    }
    const backend = this.deps.getBackend();
    if (!backend) {
      conversation.addUnsent(text, NOT_RUNNING_ERROR);
      return;
    }
    conversation.send(text, backend).then(
      (reply) => {
        if (reply.status === 'error') log.warn(`Chat reply failed: ${reply.error ?? 'unknown error'}`);
      },
      (err: unknown) => log.error('Chat send failed', err),
    );
  }

  private sendSnapshot(): void {
    // The snapshot already holds any text still waiting in the outbox; sending both would duplicate it.
    this.outbox.discard();
    const { conversation } = this.deps;
    this.postNow({
      type: 'snapshot',
      entries: conversation.entries.map((entry) => ({ ...entry })),
      server: this.deps.getServerView(),
      busy: conversation.busy,
    });
  }

  private post(message: HostToWebview): void {
    if (!this.port?.visible) {
      this.outbox.discard();
      return;
    }
    this.outbox.push(message);
  }

  private postNow(message: HostToWebview): void {
    if (this.port?.visible) this.port.post(message);
  }
}

function describe(message: unknown): string {
  if (typeof message === 'object' && message !== null && 'type' in message) {
    return `type ${JSON.stringify(String(message.type).slice(0, 40))}`;
  }
  return typeof message;
}
