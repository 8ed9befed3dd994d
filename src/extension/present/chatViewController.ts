import type { Conversation } from '../chat/conversation';
import type { ChatBackend } from '../chat/types';
import type { ChatEntry } from '../chat/entries';
import type { ChatHistory } from '../chat/chatHistory';
import type { ContextTracker } from '../chat/contextTracker';
import { findCodeSource, type CodeSource } from '../chat/codeFences';
import { contextView } from './chatContextView';
import { DeltaCoalescer } from './deltaCoalescer';
import { startingBackend } from './startingBackend';
import type { ServerView } from './serverView';
import type { Disposable, Event } from '../common/emitter';
import { openableUrl } from '../../webview/protocol/links';
import {
  isWebviewToHost,
  type CodeAction,
  type ContextView,
  type HostToWebview,
  type ModelChoice,
  type ModelsView,
  type ViewCommand,
  type WebviewToHost,
} from '../../webview/protocol/chat';

/** For ChatEditorActions: the editor side checks a link again, with the same rule, before opening it. */
export { openableUrl };
export type { CodeAction, ModelChoice, ViewCommand };

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

/** The editor side of the view's buttons; vscode/chatActions.ts implements it. */
export interface ChatEditorActions {
  /** `source` (for 'apply'): the reply's fence and the question's attachments, when the block is in this conversation. */
  codeAction(action: CodeAction, code: string, language: string, source?: CodeSource): Promise<void>;
  /** Shows the full URL in a modal and opens it only when the user agrees; `url` is already http(s). */
  openLink(url: string): Promise<void>;
  confirmDelete(title: string): Promise<boolean>;
}

/** The models on this machine, for the header's switcher; vscode/chat/chatModels.ts implements it. */
export interface ChatModels {
  /** Scans the model folders and judges each model for this machine. */
  list(): Promise<ModelChoice[]>;
  /** headroom.modelPath, or undefined when none is set. */
  configured(): string | undefined;
  /** Saves the choice as headroom.modelPath and restarts the server on it (if one was running). */
  switchTo(path: string): Promise<void>;
}

export interface ChatViewControllerDeps {
  conversation: Conversation;
  getServerView(): ServerView;
  onDidChangeServerView: Event<ServerView>;
  getBackend(): ChatBackend | undefined;
  startServer(): void;
  /**
   * For a message sent while no model runs: starts the configured model (or asks for one) and resolves
   * with its backend once ready; rejects with what went wrong. Without it such a message gets NOT_RUNNING_ERROR.
   */
  readonly startForSend?: () => Promise<ChatBackend>;
  log: ChatLog;
  history?: ChatHistory;
  context?: ContextTracker;
  actions?: ChatEditorActions;
  models?: ChatModels;
  /** Runs one of the empty state's commands (the guard already checked it is on the allow-list). */
  runCommand?(command: ViewCommand): void;
}

const NO_CONTEXT: ContextView = { pending: [], used: null, limit: null, omittedTurns: 0 };

/**
 * The chat view's logic without VS Code. The host owns the conversation; the webview mirrors it from a
 * snapshot (sent on 'ready') plus incremental events. A hidden view gets nothing and nothing is queued
 * for it: it reloads and asks for a snapshot when shown again.
 */
export class ChatViewController implements Disposable {
  private readonly disposables: Disposable[] = [];
  private port: ChatViewPort | undefined;
  private readonly outbox = new DeltaCoalescer((message) => this.postNow(message));
  /** The last list the switcher got: a switch is accepted only to one of these paths. */
  private modelsView: ModelsView | undefined;
  private scan: Promise<void> | undefined;

  constructor(private readonly deps: ChatViewControllerDeps) {
    const { conversation, history, context } = deps;
    this.disposables.push(
      this.outbox,
      // A replaced transcript has no incremental form: the webview gets a snapshot.
      conversation.onEvent((event) => {
        if (event.type === 'cleared') this.sendSnapshot();
        else this.post(event);
        if (event.type === 'cleared' || event.type === 'entryDone') context?.refreshSoon();
      }),
      deps.onDidChangeServerView((server) => {
        this.post({ type: 'server', server });
        context?.refreshSoon();
      }),
    );
    if (history) {
      this.disposables.push(history.onDidChange(() => this.post({ type: 'chats', chatId: conversation.id, chats: [...history.chats] })));
    }
    if (context) {
      conversation.prepareRequest = context.prepareRequest;
      this.disposables.push(context.onDidChange((state) => this.post({ type: 'context', context: contextView(state) })));
    }
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

  /** The 'focus chat' command: the view is shown by the caller, then its input is focused. */
  focusInput(): void {
    this.post({ type: 'focusInput' });
  }

  /** The view-title History action. */
  showHistory(): void {
    this.post({ type: 'showHistory' });
  }

  /** Scans for models again (the view opened, the configured model changed) and sends the switcher its list. */
  refreshModels(): Promise<void> {
    const models = this.deps.models;
    if (!models) return Promise.resolve();
    if (this.scan) return this.scan;
    const configured = models.configured() ?? null;
    this.postModels({ models: this.modelsView?.models ?? [], configured, scanning: true });
    this.scan = models
      .list()
      .then(
        (list) => this.postModels({ models: list, configured: models.configured() ?? null, scanning: false }),
        (err: unknown) => {
          this.deps.log.error('Chat view: could not list the models on this machine', err);
          this.postModels({ models: this.modelsView?.models ?? [], configured, scanning: false });
        },
      )
      .finally(() => (this.scan = undefined));
    return this.scan;
  }

  receive(message: unknown): void {
    if (!isWebviewToHost(message)) {
      this.deps.log.warn(`Chat view: dropped an invalid message from the webview (${describe(message)})`);
      return;
    }
    this.handle(message).catch((err: unknown) => this.deps.log.error(`Chat view: '${message.type}' failed`, err));
  }

  /** New chat from the view's button or the command. */
  async newChat(): Promise<void> {
    if (this.deps.history) await this.deps.history.newChat();
    else this.deps.conversation.clear();
  }

  dispose(): void {
    this.port = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async handle(message: WebviewToHost): Promise<void> {
    const { conversation, history, context, actions } = this.deps;
    switch (message.type) {
      case 'ready':
        this.sendSnapshot();
        void this.refreshModels();
        return;
      case 'send':
        this.send((backend) => conversation.send(message.text, backend, context?.take()), message.text);
        return;
      case 'regenerate':
        this.send((backend) => conversation.regenerate(backend));
        return;
      case 'editResend':
        this.send((backend) => conversation.editAndResend(message.id, message.text, backend), message.text);
        return;
      case 'stop':
        conversation.stop();
        return;
      case 'startServer':
        this.deps.startServer();
        return;
      case 'newChat':
        await this.newChat();
        return;
      case 'openChat':
        if (history && !(await history.open(message.id))) this.deps.log.warn(`Chat view: chat ${message.id} could not be opened`);
        return;
      case 'deleteChat': {
        if (!history) return;
        const title = history.chats.find((c) => c.id === message.id)?.title ?? 'this chat';
        if (actions && !(await actions.confirmDelete(title))) return;
        await history.delete(message.id);
        return;
      }
      case 'codeAction':
        await actions?.codeAction(message.action, message.code, message.language, message.action === 'apply' ? findCodeSource(conversation.entries, message.code) : undefined);
        return;
      case 'openLink': {
        const url = openableUrl(message.href);
        if (url === undefined) {
          this.deps.log.warn(`Chat view: refused to open a link that is not http(s): ${message.href.slice(0, 200)}`);
          return;
        }
        await actions?.openLink(url);
        return;
      }
      case 'attach':
        await context?.attach(message.kind);
        return;
      case 'detach':
        context?.detach(message.id);
        return;
      case 'copyReply': {
        const reply = conversation.entries.find((e) => e.id === message.id && e.role === 'assistant');
        if (reply) await actions?.codeAction('copy', reply.text, 'markdown');
        return;
      }
      case 'switchModel':
        await this.switchModel(message.path);
        return;
      case 'runCommand':
        this.deps.runCommand?.(message.command);
        return;
    }
  }

  private async switchModel(path: string): Promise<void> {
    const { models, log } = this.deps;
    const choice = this.modelsView?.models.find((m) => m.path === path);
    if (!models || !choice) {
      log.warn(`Chat view: refused to switch to a model it did not offer: ${path.slice(0, 200)}`);
      return;
    }
    // A stopped server only has its setting changed (the switcher shows it); a running one restarts, which takes a while.
    const kind = this.deps.getServerView().kind;
    const restarts = kind !== 'stopped' && kind !== 'failed';
    if (restarts) this.post({ type: 'notice', text: `Switching to ${choice.label}: restarting llama-server…` });
    try {
      await models.switchTo(path);
      if (restarts) this.post({ type: 'notice', text: '' });
    } catch (err) {
      log.error(`Chat view: switching to ${path} failed`, err);
      this.post({ type: 'notice', text: `Could not switch to ${choice.label}: ${err instanceof Error ? err.message : String(err)}` });
    }
    await this.refreshModels();
  }

  private postModels(view: ModelsView): void {
    this.modelsView = view;
    this.post({ type: 'models', models: view });
  }

  private send(start: (backend: ChatBackend) => Promise<ChatEntry>, unsentText?: string): void {
    const { conversation, log } = this.deps;
    if (conversation.busy) {
      // The webview blocks sending while busy, so this is a race; resync its busy state.
      log.warn('Chat view: refused a message while a reply is still streaming');
      this.post({ type: 'busy', busy: true });
      return;
    }
    const { startForSend } = this.deps;
    const backend = this.deps.getBackend() ?? (startForSend ? startingBackend(startForSend) : undefined);
    if (!backend) {
      if (unsentText !== undefined) conversation.addUnsent(unsentText, NOT_RUNNING_ERROR);
      else this.post({ type: 'busy', busy: false });
      return;
    }
    start(backend).then(
      (reply) => {
        if (reply.status === 'error') log.warn(`Chat reply failed: ${reply.error ?? 'unknown error'}`);
      },
      (err: unknown) => log.error('Chat send failed', err),
    );
  }

  private sendSnapshot(): void {
    // The snapshot already holds any text still waiting in the outbox; sending both would duplicate it.
    this.outbox.discard();
    const { conversation, history, context } = this.deps;
    this.postNow({
      type: 'snapshot',
      entries: conversation.entries.map((entry) => ({ ...entry })),
      server: this.deps.getServerView(),
      busy: conversation.busy,
      chatId: conversation.id,
      chats: history ? [...history.chats] : [],
      context: context ? contextView(context.state) : NO_CONTEXT,
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
