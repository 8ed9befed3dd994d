import type { ServerView } from '../protocol/chat';
import { createButton } from '../ui/toolkit';
import { el } from './dom';
import { canStartServer } from './format';

export interface ServerHeaderActions {
  startServer(): void;
  newChat(): void;
  toggleHistory(): void;
}

/** The top line: what the server is doing, a way to start it, and a fresh conversation. */
export class ServerHeader {
  readonly element = el('header', { className: 'header', testId: 'header' });
  private readonly label = el('span', { className: 'server-label', testId: 'server-state', id: 'server-state', text: 'Connecting…' });
  private readonly detail = el('div', { className: 'server-detail', testId: 'server-detail' });
  private readonly start: HTMLElement;

  constructor(actions: ServerHeaderActions) {
    this.start = createButton({ label: 'Start model', testId: 'start-server', id: 'start-server', onClick: () => actions.startServer() });
    this.start.hidden = true;
    const newChat = createButton({
      label: 'New chat',
      testId: 'new-chat',
      id: 'new-chat',
      appearance: 'secondary',
      title: 'Start a new conversation (this one stays in Chats)',
      onClick: () => actions.newChat(),
    });
    const history = createButton({
      label: 'Chats',
      testId: 'toggle-history',
      id: 'toggle-history',
      appearance: 'secondary',
      title: 'Past chats',
      onClick: () => actions.toggleHistory(),
    });
    this.label.setAttribute('role', 'status');
    this.detail.hidden = true;
    const line = el('div', { className: 'header-line' });
    const buttons = el('div', { className: 'header-buttons' });
    buttons.append(this.start, history, newChat);
    line.append(this.label, buttons);
    this.element.append(line, this.detail);
  }

  update(server: ServerView): void {
    this.label.textContent = server.label;
    this.label.dataset.kind = server.kind;
    this.label.title = server.detail ?? server.label;
    this.detail.textContent = server.detail ?? '';
    this.detail.hidden = !server.detail;
    this.start.hidden = !canStartServer(server.kind);
  }
}
