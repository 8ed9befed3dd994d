import type { AttachmentKind, ContextView } from '../protocol/chat';
import { createButton } from '../ui/toolkit';
import { el } from './dom';
import { formatMeter, formatTokens } from './format';

export interface ContextActions {
  attach(kind: AttachmentKind): void;
  detach(id: string): void;
}

/** Above the input: attach buttons, the chips waiting to be sent, the context meter, the overflow notice. */
export class ContextBar {
  readonly element = el('div', { className: 'context-bar', testId: 'context-bar' });
  private readonly chips = el('div', { className: 'chips', testId: 'pending-chips' });
  private readonly meter = el('div', { className: 'context-meter', testId: 'context-meter' });
  private readonly meterFill = el('div', { className: 'context-meter-fill' });
  private readonly meterText = el('span', { className: 'context-meter-text', testId: 'context-meter-text' });
  private readonly notice = el('div', { className: 'context-notice', testId: 'context-notice' });

  constructor(private readonly actions: ContextActions) {
    const buttons = el('div', { className: 'context-buttons' });
    buttons.append(
      createButton({ label: '+ Selection', testId: 'attach-selection', appearance: 'secondary', title: 'Attach the editor selection', onClick: () => actions.attach('selection') }),
      createButton({ label: '+ File', testId: 'attach-file', appearance: 'secondary', title: 'Attach the current file', onClick: () => actions.attach('file') }),
      createButton({ label: '+ Problems', testId: 'attach-diagnostics', appearance: 'secondary', title: "Attach the current file's diagnostics", onClick: () => actions.attach('diagnostics') }),
    );
    const bar = el('div', { className: 'context-meter-bar' });
    bar.append(this.meterFill);
    this.meter.append(this.meterText, bar);
    this.meter.setAttribute('role', 'meter');
    this.notice.hidden = true;
    this.element.append(buttons, this.chips, this.meter, this.notice);
  }

  update(view: ContextView): void {
    this.chips.replaceChildren(
      ...view.pending.map((chip) => {
        const node = el('span', { className: `chip chip-${chip.kind}`, testId: 'pending-chip' });
        const label = el('span', { text: `${chip.label}${chip.tokens === null ? '' : ` · ${formatTokens(chip.tokens)}`}` });
        const remove = el('button', { className: 'chip-remove', testId: 'chip-remove', text: '×' });
        remove.type = 'button';
        remove.title = `Remove ${chip.label}`;
        remove.addEventListener('click', () => this.actions.detach(chip.id));
        node.append(label, remove);
        return node;
      }),
    );
    this.chips.hidden = view.pending.length === 0;
    this.meterText.textContent = formatMeter(view.used, view.limit, view.estimated === true);
    const ratio = view.used !== null && view.limit ? Math.min(1, view.used / view.limit) : 0;
    this.meterFill.style.width = `${(ratio * 100).toFixed(1)}%`;
    this.meter.dataset.level = ratio > 0.9 ? 'high' : ratio > 0.7 ? 'mid' : 'low';
    if (view.used !== null) this.meter.setAttribute('aria-valuenow', String(view.used));
    if (view.limit !== null) this.meter.setAttribute('aria-valuemax', String(view.limit));
    this.notice.textContent =
      view.omittedTurns > 0
        ? `The conversation is longer than the model's context: the ${view.omittedTurns === 1 ? 'oldest turn is' : `${view.omittedTurns} oldest turns are`} left out.`
        : '';
    this.notice.hidden = view.omittedTurns === 0;
  }
}
