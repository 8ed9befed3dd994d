import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import type { Conversation } from '../../chat/conversation';
import { errorMessage } from '../../common/errors';
import { defaultBudget } from '../../explain/budget';
import { answerFollowUp, explain, type Explanation } from '../../explain/explainer';
import { followUpMessages } from '../../explain/followUp';
import { toComment } from '../../explain/insertComment';
import { languageName } from '../../explain/languages';
import { trackEdit, type Span } from '../../explain/rangeTracking';
import type { ExplainSubject } from '../../explain/subject';
import type { ProblemArgs } from './explainCodeActions';
import { ensureConnection } from './explainServer';
import { subjectFor, type EditorSubject } from './explainSubject';
import { ExplainThread } from './explainThread';
import type { ChatTarget } from '../server/chatTarget';

export interface ExplainControllerDeps {
  target: ChatTarget;
  conversation: Conversation;
  log: vscode.LogOutputChannel;
}

interface Session {
  view: ExplainThread;
  uri: vscode.Uri;
  span: Span;
  abort: AbortController;
  result?: Explanation;
}

/** A server that does not say its context size (a plain OpenAI-compatible one): planned for a small one, which every model has. */
const ASSUMED_CONTEXT = 4096;

/** Temperature for explanations: factual, little variety. */
const TEMPERATURE = 0.2;

/**
 * Inline explanations: one comment thread per request under the explained lines, streamed from the
 * running model. Editing the explained lines, closing the file, Stop or Dismiss cancel the request.
 */
export class ExplainController implements vscode.Disposable {
  static readonly commentControllerId = 'headroom.explain';
  private readonly comments: vscode.CommentController;
  private readonly sessions = new Set<Session>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly deps: ExplainControllerDeps) {
    this.comments = vscode.comments.createCommentController(ExplainController.commentControllerId, 'Headroom Explain');
    this.disposables.push(
      this.comments,
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.closeFile(doc.uri)),
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        for (const tab of e.closed) if (tab.input instanceof vscode.TabInputText && !isOpenInTab(tab.input.uri)) this.closeFile(tab.input.uri);
      }),
    );
  }

  /** The active editor's selection, or the given range (from a Code Action). */
  async explainSelection(uri?: vscode.Uri, range?: vscode.Range): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const document = uri ? await vscode.workspace.openTextDocument(uri) : editor?.document;
    const selection = range ?? editor?.selection;
    if (!document || !selection) {
      void vscode.window.showInformationMessage('Headroom: select some code in an editor to explain it.');
      return;
    }
    if (selection.isEmpty) {
      void vscode.window.showInformationMessage('Headroom: select the code to explain first.');
      return;
    }
    await this.start(subjectFor(document, selection));
  }

  async explainProblem(args: ProblemArgs): Promise<void> {
    const document = await vscode.workspace.openTextDocument(args.uri);
    const { message, severity, source, code } = args;
    await this.start(subjectFor(document, args.range, { message, severity, source, code, line: args.range.start.line + 1 }));
  }

  stop(thread: unknown): void {
    const session = this.find(thread);
    if (session?.view.state === 'streaming') this.cancel(session, 'Stopped.');
  }

  dismiss(thread: unknown): void {
    const session = this.find(thread);
    if (session) this.end(session);
  }

  /** A question typed in the thread's reply box: the model answers it in the thread, with the explanation as context. */
  async reply(reply: vscode.CommentReply): Promise<void> {
    const session = this.find(reply.thread);
    const question = reply.text.trim();
    if (!session?.result || !question || session.view.state === 'streaming') return;
    const messages = followUpMessages(session.result.messages, session.view.answerText, session.view.exchanges, question);
    session.abort = new AbortController();
    const { signal } = session.abort;
    session.view.ask(question);
    try {
      const connection = await ensureConnection(this.deps.target, signal, (m) => session.view.status(m));
      if (signal.aborted) return;
      if (!connection) {
        session.view.finish('failed', 'No model is running.');
        return;
      }
      const backend = connection.backend;
      const maxTokens = defaultBudget(connection.contextSize ?? ASSUMED_CONTEXT).answerTokens;
      const { finishReason } = await answerFollowUp(messages, { backend, temperature: TEMPERATURE, maxTokens }, (t) => session.view.text(t), signal);
      if (signal.aborted) return;
      session.view.finish('done', finishReason === 'length' ? 'The answer reached its length limit.' : undefined);
    } catch (err) {
      if (signal.aborted) return;
      this.deps.log.warn(`Explain ${session.view.title}, follow-up: ${errorMessage(err)}`);
      session.view.finish('failed', `Could not answer: ${errorMessage(err)}`);
    }
  }

  async continueInChat(thread: unknown): Promise<void> {
    const session = this.find(thread);
    const question = session?.result?.messages.filter((m) => m.role === 'user').pop()?.content;
    const answer = session?.view.answerText;
    if (!session || !question || !answer) return;
    const asked = session.view.exchanges.filter((e) => e.answer.trim()).flatMap((e) => [
      { id: randomUUID(), role: 'user' as const, text: e.question, status: 'complete' as const },
      { id: randomUUID(), role: 'assistant' as const, text: e.answer, status: 'complete' as const },
    ]);
    const { conversation } = this.deps;
    if (conversation.busy) {
      const go = await vscode.window.showWarningMessage('Headroom: a chat reply is still streaming. Stop it and continue this explanation in the chat?', 'Stop and Continue');
      if (!go) return;
    }
    conversation.load({
      id: randomUUID(),
      createdAt: Date.now(),
      entries: [
        { id: randomUUID(), role: 'user', text: question, status: 'complete' },
        { id: randomUUID(), role: 'assistant', text: answer, status: 'complete' },
        ...asked,
      ],
    });
    await vscode.commands.executeCommand('headroom.chat.focus');
  }

  async insertComment(thread: unknown): Promise<void> {
    const session = this.find(thread);
    if (!session || !session.view.answerText) return;
    const document = await vscode.workspace.openTextDocument(session.uri);
    const line = document.lineAt(Math.min(session.span.start.line, document.lineCount - 1));
    const comment = toComment(session.view.answerText, document.languageId, line.text.slice(0, line.firstNonWhitespaceCharacterIndex));
    if (!comment) {
      void vscode.window.showInformationMessage(`Headroom: ${languageName(document.languageId)} files have no comment syntax to insert into.`);
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.insert(session.uri, new vscode.Position(line.lineNumber, 0), comment);
    if (await vscode.workspace.applyEdit(edit)) this.end(session);
  }

  dispose(): void {
    for (const session of [...this.sessions]) this.end(session);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async start(target: EditorSubject): Promise<void> {
    const session: Session = {
      view: new ExplainThread(this.comments, target.uri, target.range, target.title),
      uri: target.uri,
      span: target.span,
      abort: new AbortController(),
    };
    this.sessions.add(session);
    await this.run(session, target.subject);
  }

  private async run(session: Session, subject: ExplainSubject): Promise<void> {
    const { signal } = session.abort;
    try {
      const connection = await ensureConnection(this.deps.target, signal, (m) => session.view.status(m));
      if (signal.aborted) return;
      if (!connection) {
        this.end(session);
        return;
      }
      const deps = {
        backend: connection.backend,
        counter: connection.counter,
        budget: defaultBudget(connection.contextSize ?? ASSUMED_CONTEXT),
        temperature: TEMPERATURE,
      };
      session.result = await explain(subject, deps, session.view, signal);
      if (signal.aborted) return;
      session.view.finish('done', session.result.finishReason === 'length' ? 'The answer reached its length limit.' : undefined);
    } catch (err) {
      if (signal.aborted) return;
      this.deps.log.warn(`Explain ${session.view.title}: ${errorMessage(err)}`);
      session.view.finish('failed', `Could not explain: ${errorMessage(err)}`);
    }
  }

  private find(thread: unknown): Session | undefined {
    for (const session of this.sessions) if (session.view.thread === thread) return session;
    return undefined;
  }

  private cancel(session: Session, why: string): void {
    session.abort.abort();
    session.view.finish('stopped', why);
  }

  private end(session: Session): void {
    session.abort.abort();
    session.view.dispose();
    this.sessions.delete(session);
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const key = e.document.uri.toString();
    for (const session of this.sessions) {
      if (session.uri.toString() !== key) continue;
      for (const change of e.contentChanges) {
        const next = trackEdit(session.span, { range: change.range, text: change.text });
        if (next === 'touched') {
          if (session.view.state === 'streaming') this.cancel(session, 'Stopped: the explained code was edited.');
          continue;
        }
        session.span = next;
      }
      const { start, end } = session.span;
      const range = new vscode.Range(start.line, start.character, end.line, end.character);
      if (!session.view.thread.range?.isEqual(range)) session.view.thread.range = range;
    }
  }

  private closeFile(uri: vscode.Uri): void {
    const key = uri.toString();
    for (const session of [...this.sessions]) if (session.uri.toString() === key) this.end(session);
  }
}

function isOpenInTab(uri: vscode.Uri): boolean {
  const key = uri.toString();
  return vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === key));
}
