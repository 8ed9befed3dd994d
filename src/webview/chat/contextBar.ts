import type { AttachmentKind, ContextView } from '../protocol/chat';
import { createIconButton } from '../ui/toolkit';
import { el } from './dom';
import { formatMeter, formatTokens, meterValueText } from './format';

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
    buttons.setAttribute('role', 'toolbar');
    buttons.setAttribute('aria-label', 'Attach context');
    buttons.append(
      createIconButton({ icon: 'selection', label: 'Attach the editor selection', testId: 'attach-selection', onClick: () => actions.attach('selection') }),
      createIconButton({ icon: 'file', label: 'Attach the current file', testId: 'attach-file', onClick: () => actions.attach('file') }),
      createIconButton({ icon: 'warning', label: "Attach the current file's problems", testId: 'attach-diagnostics', onClick: () => actions.attach('diagnostics') }),
    );
    const bar = el('div', { className: 'context-meter-bar' });
    bar.setAttribute('aria-hidden', 'true');
    bar.append(this.meterFill);
    this.meter.append(this.meterText, bar);
    this.meter.setAttribute('role', 'meter');
    this.meter.setAttribute('aria-label', 'Context used');
    this.meter.setAttribute('aria-valuemin', '0');
    // The meter's text says it all; read as the meter's value, not a second time as text.
    this.meterText.setAttribute('aria-hidden', 'true');
    this.notice.hidden = true;
    const row = el('div', { className: 'context-row' });
    row.append(buttons, this.meter);
    this.element.append(this.chips, row, this.notice);
  }

  update(view: ContextView): void {
    this.chips.replaceChildren(
      ...view.pending.map((chip) => {
        const node = el('span', { className: `chip chip-${chip.kind}`, testId: 'pending-chip' });
        const label = el('span', { text: `${chip.label}${chip.tokens === null ? '' : ` · ${formatTokens(chip.tokens)}`}` });
        const remove = createIconButton({ icon: 'close', label: `Remove ${chip.label}`, testId: 'chip-remove', onClick: () => this.actions.detach(chip.id) });
        remove.classList.add('chip-remove');
        node.append(label, remove);
        return node;
      }),
    );
    this.chips.hidden = view.pending.length === 0;
    this.meterText.textContent = formatMeter(view.used, view.limit, view.estimated === true);
    const ratio = view.used !== null && view.limit ? Math.min(1, view.used / view.limit) : 0;
    this.meterFill.style.width = `${(ratio * 100).toFixed(1)}%`;
    this.meter.dataset.level = ratio > 0.9 ? 'high' : ratio > 0.7 ? 'mid' : 'low';
    // A meter always has a value: 0 of 1 while nothing is known, with the text saying why.
    this.meter.setAttribute('aria-valuemax', String(view.limit ?? 1));
    this.meter.setAttribute('aria-valuenow', String(view.limit === null ? 0 : Math.min(view.used ?? 0, view.limit)));
    this.meter.setAttribute('aria-valuetext', meterValueText(view.used, view.limit));
    this.notice.textContent =
      view.omittedTurns > 0
        ? `The conversation is longer than the model's context: the ${view.omittedTurns === 1 ? 'oldest turn is' : `${view.omittedTurns} oldest turns are`} left out.`
        : '';
    this.notice.hidden = view.omittedTurns === 0;
  }
}
