import type { ChatSummary } from '../protocol/chat';
import { createIconButton } from '../ui/toolkit';
import { el } from './dom';

export interface HistoryActions {
  open(id: string): void;
  delete(id: string): void;
}

/**
 * The list of past chats (newest first): click a title to open it (the list then closes, so the chat has
 * the room), Delete to remove it (the host confirms).
 */
export class HistoryPanel {
  readonly element = el('nav', { className: 'history', testId: 'history' });
  private readonly list = el('ul', { className: 'history-list', testId: 'history-list' });

  constructor(private readonly actions: HistoryActions) {
    this.element.setAttribute('aria-label', 'Past chats');
    this.element.append(el('div', { className: 'history-title', text: 'Chats' }), this.list);
    this.element.hidden = true;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    // Opened from the view's title bar: the keyboard lands in the list.
    if (!this.element.hidden) this.list.querySelector<HTMLButtonElement>('button')?.focus();
  }

  hide(): void {
    this.element.hidden = true;
  }

  update(chats: readonly ChatSummary[], currentId: string): void {
    const items = chats.map((chat) => {
      const item = el('li', { className: 'history-item', testId: 'history-item' });
      item.dataset.chatId = chat.id;
      if (chat.id === currentId) item.classList.add('current');
      const open = el('button', { className: 'history-open', testId: 'history-open', text: chat.title });
      open.type = 'button';
      open.title = `${chat.title}\n${new Date(chat.updatedAt).toLocaleString()} · ${chat.messages} messages`;
      open.addEventListener('click', () => {
        this.hide();
        this.actions.open(chat.id);
      });
      const remove = createIconButton({ icon: 'trash', label: `Delete the chat “${chat.title}”`, testId: 'history-delete', onClick: () => this.actions.delete(chat.id) });
      item.append(open, remove);
      return item;
    });
    if (items.length === 0) items.push(el('li', { className: 'history-empty', text: 'No saved chats yet.' }));
    this.list.replaceChildren(...items);
  }
}
