import { MAX_USER_TEXT } from '../protocol/chat';
import { createButton, createIconButton, createTextArea, setButtonEnabled, setIconButtonIcon, setIconButtonLabel } from '../ui/toolkit';
import { el } from './dom';

export interface ComposerActions {
  send(text: string): void;
  /** Sends edited text in place of a past user message (and drops what followed it). */
  resend(id: string, text: string): void;
  stop(): void;
  saveDraft(draft: string): void;
  /** The newest message the user sent, for Up-arrow recall. */
  lastUserText(): string | undefined;
}

/** The input box with Send and Stop. Enter sends, Shift+Enter starts a new line, Up in an empty box recalls the last message. */
export class Composer {
  readonly element = el('div', { className: 'composer', testId: 'composer' });
  private readonly input = createTextArea({
    id: 'chat-input',
    testId: 'chat-input',
    label: 'Message to the model',
    placeholder: 'Ask the model (Enter to send, Shift+Enter for a new line, Up for your last message)',
    maxLength: MAX_USER_TEXT,
  });
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly editBanner = el('div', { className: 'edit-banner', testId: 'edit-banner' });
  /** The user message being edited, if any. */
  private editing: { id: string; draft: string } | undefined;
  private busy = false;
  /** Set between posting 'send' and the host's answer, so a quick second Enter can't race it. */
  private awaitingHost = false;

  constructor(private readonly actions: ComposerActions, draft: string) {
    this.input.value = draft;
    this.sendButton = createIconButton({ icon: 'send', label: 'Send (Enter)', testId: 'send', id: 'send', onClick: () => this.submit() });
    this.stopButton = createIconButton({ icon: 'debug-stop', label: 'Stop (Escape)', testId: 'stop', id: 'stop', onClick: () => actions.stop() });
    this.input.addEventListener('input', () => actions.saveDraft(this.input.value));
    this.input.addEventListener('keydown', (event) => {
      // isComposing: Enter that confirms an IME candidate must not send.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
        return;
      }
      if (event.key === 'ArrowUp' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing && this.input.value === '') {
        const last = actions.lastUserText();
        if (last === undefined) return;
        event.preventDefault();
        this.input.value = last;
        this.input.setSelectionRange(last.length, last.length);
        actions.saveDraft(last);
      }
    });
    const buttons = el('div', { className: 'composer-buttons' });
    buttons.append(this.stopButton, this.sendButton);
    const cancel = createButton({ label: 'Cancel', testId: 'cancel-edit', appearance: 'secondary', onClick: () => this.cancelEdit() });
    this.editBanner.append(el('span', { text: 'Editing a message: sending replaces it and everything after it.' }), cancel);
    this.element.append(this.editBanner, this.input, buttons);
    this.render();
  }

  focus(): void {
    this.input.focus();
  }

  /** Puts a past message in the box; Send then replaces it. The unsent draft comes back on Cancel. */
  edit(id: string, text: string): void {
    if (!this.editing) this.editing = { id, draft: this.input.value };
    else this.editing.id = id;
    this.input.value = text;
    this.render();
    this.input.focus();
  }

  private cancelEdit(): void {
    if (!this.editing) return;
    this.input.value = this.editing.draft;
    this.editing = undefined;
    this.render();
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.awaitingHost = false;
    this.render();
  }

  /** The host answered a send without starting a reply (e.g. no model running). */
  hostAnswered(): void {
    this.awaitingHost = false;
    this.render();
  }

  private submit(): void {
    if (this.busy || this.awaitingHost) return;
    const text = this.input.value;
    if (text.trim() === '' || text.length > MAX_USER_TEXT) return;
    this.awaitingHost = true;
    if (this.editing) {
      this.actions.resend(this.editing.id, text);
      this.editing = undefined;
    } else {
      this.actions.send(text);
    }
    this.input.value = '';
    this.actions.saveDraft('');
    this.render();
  }

  private render(): void {
    const blocked = this.busy || this.awaitingHost;
    setButtonEnabled(this.sendButton, !blocked);
    this.stopButton.hidden = !this.busy;
    setButtonEnabled(this.stopButton, this.busy);
    this.element.dataset.busy = String(this.busy);
    this.editBanner.hidden = this.editing === undefined;
    setIconButtonLabel(this.sendButton, this.editing ? 'Resend: replaces the edited message (Enter)' : 'Send (Enter)');
    setIconButtonIcon(this.sendButton, this.editing ? 'refresh' : 'send');
  }
}
