import type { Attachment, ChatEntry, EntryStatus, ReplyStats } from '../protocol/chat';
import { createIconButton } from '../ui/toolkit';
import type { Announcer } from './announcer';
import { el } from './dom';
import { formatStats, formatTokens, statusMarker } from './format';
import type { RenderActions } from './markdown/materialize';
import { MarkdownView } from './markdownView';

export interface MessageListActions extends RenderActions {
  regenerate(): void;
  edit(id: string, text: string): void;
  copyReply(id: string): void;
}

interface EntryView {
  entry: ChatEntry;
  root: HTMLElement;
  /** Assistant replies: markdown, rendered incrementally. User messages: plain text. */
  markdown?: MarkdownView;
  stats: HTMLElement;
  marker: HTMLElement;
  actions: HTMLElement;
}

/** Within this many pixels of the bottom the list follows new text; further up, the user is reading. */
const STICK_THRESHOLD_PX = 32;

/**
 * The transcript: rendered once from a snapshot, then patched entry by entry (only the streaming one re-renders).
 * For screen readers it is a log that is not live: the streaming tail is redrawn every frame and would be read
 * again and again. A streaming reply is aria-busy; the finished reply goes to the announcer once.
 */
export class MessageList {
  readonly element = el('div', { className: 'messages', testId: 'messages', id: 'messages' });
  private readonly views = new Map<string, EntryView>();
  private busy = false;
  private follow = true;
  /** scrollHeight when the list last scrolled itself: a scroll event at another height came from content changing size. */
  private pinnedHeight = 0;
  /** Messages change size after they are drawn (pieces of a long reply, off-screen pieces measured late): stay at the bottom. */
  private readonly resizes = new ResizeObserver(() => this.afterChange());

  constructor(
    private readonly actions: MessageListActions,
    private readonly announcer: Announcer,
    /** Shown while the chat has no message (the first-run steps). */
    private readonly empty: HTMLElement,
  ) {
    this.element.setAttribute('role', 'log');
    this.element.setAttribute('aria-label', 'Chat transcript');
    // role=log is polite by default; the announcer speaks for it.
    this.element.setAttribute('aria-live', 'off');
    this.element.append(this.empty);
    this.element.addEventListener('scroll', () => this.onScroll(), { passive: true });
  }

  reset(entries: readonly ChatEntry[]): void {
    this.views.clear();
    this.resizes.disconnect();
    this.element.replaceChildren(this.empty);
    for (const entry of entries) this.append(entry);
    this.updateEmpty();
    this.updateActions();
    this.follow = true;
    this.scrollToBottom();
  }

  add(entry: ChatEntry): void {
    // The user's own message always brings the view down, even if they had scrolled up.
    if (entry.role === 'user') this.follow = true;
    const old = this.views.get(entry.id)?.root;
    if (old) {
      this.resizes.unobserve(old);
      old.remove();
    }
    this.append(entry);
    this.updateEmpty();
    this.updateActions();
    this.afterChange();
  }

  appendText(id: string, text: string): void {
    const view = this.views.get(id);
    if (!view) return;
    view.entry.text += text;
    view.markdown?.append(text);
  }

  finish(id: string, status: EntryStatus, stats?: ReplyStats, error?: string): void {
    const view = this.views.get(id);
    if (!view) return;
    view.entry.status = status;
    if (stats) view.entry.stats = stats;
    if (error) view.entry.error = error;
    view.markdown?.finish(view.entry.text);
    this.showStatus(view);
    this.updateActions();
    this.afterChange();
    if (view.entry.role === 'assistant') this.announcer.reply(view.markdown?.element.textContent ?? view.entry.text, view.marker.textContent ?? '');
  }

  /** The newest message the user sent, for Up-arrow in an empty input. */
  lastUserText(): string | undefined {
    return [...this.views.values()].reverse().find((v) => v.entry.role === 'user')?.entry.text;
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateActions();
  }

  private append(source: ChatEntry): void {
    const entry: ChatEntry = { ...source };
    const root = el('div', { className: `message message-${entry.role}`, testId: 'message' });
    root.dataset.role = entry.role;
    root.dataset.entryId = entry.id;
    root.setAttribute('role', 'article');
    const role = el('div', { className: 'message-role', text: entry.role === 'user' ? 'You' : 'Model' });
    role.id = `role-${entry.id}`;
    root.setAttribute('aria-labelledby', role.id);
    root.append(role);
    if (entry.attachments?.length) root.append(attachmentChips(entry.attachments));
    const view: EntryView = {
      entry,
      root,
      stats: el('div', { className: 'message-stats', testId: 'message-stats' }),
      marker: el('div', { className: 'message-marker', testId: 'message-marker' }),
      actions: el('div', { className: 'message-actions', testId: 'message-actions' }),
    };
    view.actions.setAttribute('role', 'toolbar');
    view.actions.setAttribute('aria-label', entry.role === 'user' ? 'Message actions' : 'Reply actions');
    if (entry.role === 'assistant') {
      view.markdown = new MarkdownView(this.actions, () => this.afterChange());
      view.markdown.element.classList.add('message-text');
      view.markdown.element.dataset.testid = 'message-text';
      if (entry.status === 'streaming') view.markdown.append(entry.text);
      else view.markdown.setFinal(entry.text);
      root.append(view.markdown.element);
    } else {
      root.append(el('div', { className: 'message-text message-plain', testId: 'message-text', text: entry.text }));
    }
    root.append(view.marker, view.stats, view.actions);
    this.showStatus(view);
    this.views.set(entry.id, view);
    this.element.append(root);
    this.resizes.observe(root);
  }

  private showStatus(view: EntryView): void {
    const { status, stats, error } = view.entry;
    view.root.dataset.status = status;
    if (status === 'streaming') view.root.setAttribute('aria-busy', 'true');
    else view.root.removeAttribute('aria-busy');
    const marker = statusMarker(status, error);
    view.marker.textContent = marker;
    view.marker.hidden = marker === '';
    const showStats = stats !== undefined && status !== 'streaming';
    view.stats.textContent = showStats ? formatStats(stats) : '';
    view.stats.hidden = !showStats;
  }

  /**
   * Icon buttons, shown on hover or keyboard focus (media/chat.css): Edit on user messages, Copy on replies,
   * Regenerate on the last reply; none while a reply streams.
   */
  private updateActions(): void {
    const list = [...this.views.values()];
    const last = list[list.length - 1];
    for (const view of list) {
      const buttons: HTMLElement[] = [];
      const { id, role, text, status } = view.entry;
      if (!this.busy && role === 'user') {
        buttons.push(createIconButton({ icon: 'edit', label: 'Edit and resend', testId: 'edit-message', onClick: () => this.actions.edit(id, view.entry.text) }));
      }
      if (role === 'assistant' && status !== 'streaming' && text !== '') {
        buttons.push(createIconButton({ icon: 'copy', label: 'Copy the reply', testId: 'copy-reply', onClick: () => this.actions.copyReply(id) }));
      }
      if (!this.busy && view === last && role === 'assistant') {
        buttons.push(createIconButton({ icon: 'refresh', label: 'Regenerate: answer the last message again', testId: 'regenerate', onClick: () => this.actions.regenerate() }));
      }
      view.actions.replaceChildren(...buttons);
      view.actions.hidden = buttons.length === 0;
    }
  }

  private updateEmpty(): void {
    this.empty.hidden = this.views.size > 0;
  }

  private afterChange(): void {
    if (this.follow) this.scrollToBottom();
  }

  /** The user scrolling away from the bottom stops following; the content growing or shrinking under a follower does not. */
  private onScroll(): void {
    if (this.follow && this.element.scrollHeight !== this.pinnedHeight) {
      this.scrollToBottom();
      return;
    }
    this.follow = this.isNearBottom();
  }

  private isNearBottom(): boolean {
    const { scrollHeight, scrollTop, clientHeight } = this.element;
    return scrollHeight - scrollTop - clientHeight <= STICK_THRESHOLD_PX;
  }

  private scrollToBottom(): void {
    this.element.scrollTop = this.element.scrollHeight;
    this.pinnedHeight = this.element.scrollHeight;
  }
}

function attachmentChips(attachments: readonly Attachment[]): HTMLElement {
  const row = el('div', { className: 'chips', testId: 'message-attachments' });
  for (const a of attachments) {
    row.append(el('span', { className: `chip chip-${a.kind}`, testId: 'attachment-chip', text: `${a.label}${a.tokens === null ? '' : ` · ${formatTokens(a.tokens)}`}` }));
  }
  return row;
}
