import * as vscode from 'vscode';
import type { ExplainSink } from '../../explain/explainer';

export type ExplainThreadState = 'streaming' | 'done' | 'stopped' | 'failed';

/** Render at most this often while text streams in: each render replaces the comment. */
const RENDER_MS = 60;

/**
 * One explanation shown under the code as a Comments API thread. Its contextValue is the state, which
 * the thread's title actions in package.json read (`commentThread == done`).
 */
export class ExplainThread implements ExplainSink, vscode.Disposable {
  readonly thread: vscode.CommentThread;
  private answer = '';
  private notes: string[] = [];
  private statusText = '';
  private ending = '';
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(controller: vscode.CommentController, uri: vscode.Uri, range: vscode.Range, readonly title: string) {
    this.thread = controller.createCommentThread(uri, range, []);
    this.thread.canReply = false;
    this.thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
    this.setState('streaming');
    this.render();
  }

  get answerText(): string {
    return this.answer;
  }

  get state(): ExplainThreadState {
    return (this.thread.contextValue as ExplainThreadState | undefined) ?? 'streaming';
  }

  status(message: string): void {
    this.statusText = message;
    this.renderSoon();
  }

  note(message: string): void {
    this.notes.push(message);
    this.renderSoon();
  }

  text(delta: string): void {
    this.answer += delta;
    this.renderSoon();
  }

  finish(state: Exclude<ExplainThreadState, 'streaming'>, message?: string): void {
    if (this.disposed) return;
    this.statusText = '';
    this.ending = message ?? '';
    this.setState(state);
    this.render();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.thread.dispose();
  }

  /** Markdown of the comment: notes, then the answer (or the current status while there is none). */
  body(): string {
    const parts = this.notes.map((n) => `*${n}*`);
    if (this.answer) parts.push(this.answer);
    else if (this.statusText) parts.push(`*${this.statusText}*`);
    if (this.ending) parts.push(`*${this.ending}*`);
    return parts.join('\n\n') || ' ';
  }

  private setState(state: ExplainThreadState): void {
    this.thread.contextValue = state;
    const labels: Record<ExplainThreadState, string> = {
      streaming: `Headroom: explaining ${this.title}...`,
      done: `Headroom: ${this.title}`,
      stopped: `Headroom: ${this.title} (stopped)`,
      failed: `Headroom: ${this.title} (failed)`,
    };
    this.thread.label = labels[state];
  }

  private renderSoon(): void {
    if (this.disposed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.render();
    }, RENDER_MS);
  }

  private render(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    // Model output is untrusted: no command links, no raw HTML, no `$(icon)` syntax.
    const body = new vscode.MarkdownString(this.body(), false);
    body.isTrusted = false;
    body.supportHtml = false;
    this.thread.comments = [{ body, mode: vscode.CommentMode.Preview, author: { name: 'Headroom' }, contextValue: this.state }];
  }
}
