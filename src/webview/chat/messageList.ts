import type { ChatEntry, EntryStatus, ReplyStats } from '../protocol';
import { el } from './dom';
import { formatStats, statusMarker } from './format';

interface EntryView {
  root: HTMLElement;
  /** Streamed text is appended to this node; model output only ever becomes text, never markup. */
  text: Text;
  stats: HTMLElement;
  marker: HTMLElement;
}

/** Within this many pixels of the bottom the list follows new text; further up, the user is reading. */
const STICK_THRESHOLD_PX = 32;

/** The transcript: rendered once from a snapshot, then patched entry by entry. */
export class MessageList {
  readonly element = el('div', { className: 'messages', testId: 'messages', id: 'messages' });
  private readonly empty = el('p', { className: 'empty', testId: 'empty-chat', text: 'Ask the local model anything.' });
  private readonly views = new Map<string, EntryView>();

  constructor() {
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-live', 'polite');
    this.element.append(this.empty);
  }

  reset(entries: readonly ChatEntry[]): void {
    this.views.clear();
    this.element.replaceChildren(this.empty);
    for (const entry of entries) this.append(entry);
    this.updateEmpty();
    this.scrollToBottom();
  }

  add(entry: ChatEntry): void {
    // The user's own message always brings the view down, even if they had scrolled up.
    const follow = entry.role === 'user' || this.isNearBottom();
    this.views.get(entry.id)?.root.remove();
    this.append(entry);
    this.updateEmpty();
    if (follow) this.scrollToBottom();
  }

  appendText(id: string, text: string): void {
    const view = this.views.get(id);
    if (!view) return;
    const follow = this.isNearBottom();
    view.text.appendData(text);
    if (follow) this.scrollToBottom();
  }

  finish(id: string, status: EntryStatus, stats?: ReplyStats, error?: string): void {
    const view = this.views.get(id);
    if (!view) return;
    const follow = this.isNearBottom();
    this.showStatus(view, status, stats, error);
    if (follow) this.scrollToBottom();
  }

  private append(entry: ChatEntry): void {
    const root = el('div', { className: `message message-${entry.role}`, testId: 'message' });
    root.dataset.role = entry.role;
    root.dataset.entryId = entry.id;
    const role = el('div', { className: 'message-role', text: entry.role === 'user' ? 'You' : 'Model' });
    const body = el('div', { className: 'message-text', testId: 'message-text' });
    const text = document.createTextNode(entry.text);
    body.append(text);
    const marker = el('div', { className: 'message-marker', testId: 'message-marker' });
    const stats = el('div', { className: 'message-stats', testId: 'message-stats' });
    root.append(role, body, marker, stats);
    const view: EntryView = { root, text, stats, marker };
    this.showStatus(view, entry.status, entry.stats, entry.error);
    this.views.set(entry.id, view);
    this.element.append(root);
  }

  private showStatus(view: EntryView, status: EntryStatus, stats?: ReplyStats, error?: string): void {
    view.root.dataset.status = status;
    const marker = statusMarker(status, error);
    view.marker.textContent = marker;
    view.marker.hidden = marker === '';
    const showStats = stats !== undefined && status !== 'streaming';
    view.stats.textContent = showStats ? formatStats(stats) : '';
    view.stats.hidden = !showStats;
  }

  private updateEmpty(): void {
    this.empty.hidden = this.views.size > 0;
  }

  private isNearBottom(): boolean {
    const { scrollHeight, scrollTop, clientHeight } = this.element;
    return scrollHeight - scrollTop - clientHeight <= STICK_THRESHOLD_PX;
  }

  private scrollToBottom(): void {
    this.element.scrollTop = this.element.scrollHeight;
  }
}
