import { MAX_USER_TEXT } from '../protocol';
import { createButton, createTextArea, setButtonEnabled } from '../ui/toolkit';
import { el } from './dom';

export interface ComposerActions {
  send(text: string): void;
  stop(): void;
  saveDraft(draft: string): void;
}

/** The input box with Send and Stop. Enter sends, Shift+Enter starts a new line. */
export class Composer {
  readonly element = el('div', { className: 'composer', testId: 'composer' });
  private readonly input = createTextArea({
    id: 'chat-input',
    testId: 'chat-input',
    label: 'Message to the model',
    placeholder: 'Ask the model (Enter to send, Shift+Enter for a new line)',
    maxLength: MAX_USER_TEXT,
  });
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private busy = false;
  /** Set between posting 'send' and the host's answer, so a quick second Enter can't race it. */
  private awaitingHost = false;

  constructor(private readonly actions: ComposerActions, draft: string) {
    this.input.value = draft;
    this.sendButton = createButton({ label: 'Send', testId: 'send', id: 'send', onClick: () => this.submit() });
    this.stopButton = createButton({ label: 'Stop', testId: 'stop', id: 'stop', appearance: 'secondary', onClick: () => actions.stop() });
    this.input.addEventListener('input', () => actions.saveDraft(this.input.value));
    this.input.addEventListener('keydown', (event) => {
      // isComposing: Enter that confirms an IME candidate must not send.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    const buttons = el('div', { className: 'composer-buttons' });
    buttons.append(this.stopButton, this.sendButton);
    this.element.append(this.input, buttons);
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
    this.actions.send(text);
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
  }
}
