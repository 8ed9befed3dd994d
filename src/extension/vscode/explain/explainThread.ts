import * as vscode from 'vscode';
import type { ExplainSink } from '../../explain/explainer';
import type { Exchange } from '../../explain/followUp';

export type ExplainThreadState = 'streaming' | 'done' | 'stopped' | 'failed';

/** Render at most this often while text streams in: each render replaces the comment. */
const RENDER_MS = 60;

/**
 * One explanation shown under the code as a Comments API thread, then the questions asked in it and their
 * answers, one comment each. Its contextValue is the state, which the thread's title actions in package.json
 * read (`commentThread == done`). A question can be asked once an answer is there and nothing streams.
 */
export class ExplainThread implements ExplainSink, vscode.Disposable {
  readonly thread: vscode.CommentThread;
  private answer = '';
  private readonly asked: Exchange[] = [];
  private notes: string[] = [];
  private statusText = '';
  private ending = '';
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(controller: vscode.CommentController, uri: vscode.Uri, range: vscode.Range, readonly title: string) {
    this.thread = controller.createCommentThread(uri, range, []);
    this.thread.collapsibleState = vscode.CommentThreadCollapsibleState.Expanded;
    this.setState('streaming');
    this.render();
  }

  get answerText(): string {
    return this.answer;
  }

  /** The questions asked in the thread and their answers so far. */
  get exchanges(): readonly Exchange[] {
    return this.asked;
  }

  /** A question from the thread's reply box: shown at once, its answer streams in below it (text()). */
  ask(question: string): void {
    this.asked.push({ question, answer: '' });
    this.statusText = 'Thinking...';
    this.ending = '';
    this.setState('streaming');
    this.render();
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
    const current = this.asked[this.asked.length - 1];
    if (current) current.answer += delta;
    else this.answer += delta;
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

  /** Markdown of the explanation's comment: notes, then the answer (or the current status while there is none). */
  body(): string {
    const parts = this.notes.map((n) => `*${n}*`);
    parts.push(...this.withStatus(this.answer, this.asked.length === 0));
    return parts.join('\n\n') || ' ';
  }

  /** An answer, or the status while it has no text yet; the ending (Stopped., an error) goes with the latest. */
  private withStatus(answer: string, latest: boolean): string[] {
    const parts: string[] = [];
    if (answer) parts.push(answer);
    else if (latest && this.statusText) parts.push(`*${this.statusText}*`);
    if (latest && this.ending) parts.push(`*${this.ending}*`);
    return parts;
  }

  private setState(state: ExplainThreadState): void {
    this.thread.contextValue = state;
    this.thread.canReply = state !== 'streaming' && this.answer !== '';
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
    const comments: vscode.Comment[] = [comment(this.body(), 'Headroom', this.state)];
    this.asked.forEach((e, i) => {
      comments.push(comment(e.question, 'You', this.state));
      comments.push(comment(this.withStatus(e.answer, i === this.asked.length - 1).join('\n\n') || ' ', 'Headroom', this.state));
    });
    this.thread.comments = comments;
  }
}

/** Model output and the user's question are untrusted text: no command links, no raw HTML, no `$(icon)` syntax. */
function comment(markdown: string, author: string, contextValue: string): vscode.Comment {
  const body = new vscode.MarkdownString(markdown, false);
  body.isTrusted = false;
  body.supportHtml = false;
  return { body, mode: vscode.CommentMode.Preview, author: { name: author }, contextValue };
}
