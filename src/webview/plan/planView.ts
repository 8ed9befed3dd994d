// Draws a PlanPanelState: per device a stacked bar (widths set through element.style, which the CSP
// allows; no style attributes), a table of the same numbers, the plan's choices, reasons, warnings and
// the command line with a Copy button. Everything is textContent: nothing here parses HTML.
import { el } from '../chat/dom';
import { createButton, setButtonEnabled } from '../ui/toolkit';
import { SEGMENT_KINDS, type PlanDeviceView, type PlanPanelState, type PlanView, type SegmentKind, type TuningView } from '../protocol/plan';

export interface PlanViewActions {
  copyCommand(): void;
  computePlan(): void;
}

const SEGMENT_NAMES: Record<SegmentKind, string> = {
  weights: 'Weights',
  kv: 'KV cache',
  compute: 'Compute',
  other: 'Other programs',
  margin: 'Margin',
  free: 'Free',
};

export const gib = (mib: number): string => `${(mib / 1024).toFixed(1)} GiB`;
const mib = (n: number): string => String(Math.round(n));

function bar(device: PlanDeviceView): HTMLElement {
  const node = el('div', { className: device.overMiB > 0 ? 'bar bar-over' : 'bar', testId: 'plan-bar' });
  const total = device.segments.reduce((sum, s) => sum + s.mib, 0);
  const parts: string[] = [];
  for (const segment of device.segments) {
    if (segment.mib <= 0 || total <= 0) continue;
    const part = el('div', { className: `segment segment-${segment.kind}` });
    part.dataset.kind = segment.kind;
    part.style.width = `${((segment.mib / total) * 100).toFixed(3)}%`;
    part.title = `${SEGMENT_NAMES[segment.kind]}: ${gib(segment.mib)} (${mib(segment.mib)} MiB)`;
    node.append(part);
    parts.push(`${SEGMENT_NAMES[segment.kind]} ${gib(segment.mib)}`);
  }
  if (device.overMiB > 0 && total > device.totalMiB) {
    // Where the device ends: what lies right of this line does not fit.
    const limit = el('div', { className: 'bar-limit' });
    limit.style.left = `${((device.totalMiB / total) * 100).toFixed(3)}%`;
    limit.title = `${device.label} has ${gib(device.totalMiB)}`;
    node.append(limit);
  }
  node.setAttribute('role', 'img');
  node.setAttribute('aria-label', `${device.label}, ${gib(device.totalMiB)}: ${parts.join(', ')}`);
  return node;
}

function deviceBlock(device: PlanDeviceView): HTMLElement {
  const block = el('div', { className: 'device', testId: 'plan-device' });
  const head = el('div', { className: 'device-head' });
  head.append(el('span', { className: 'device-label', text: device.label }), el('span', { className: 'device-total', text: gib(device.totalMiB) }));
  const numbers = el('div', {
    className: 'device-numbers',
    text: `weights ${gib(device.weightsMiB)} · KV cache ${gib(device.kvMiB)} · compute ${gib(device.computeMiB)} · free after load ${gib(device.leftMiB)}`,
  });
  block.append(head, bar(device), numbers);
  if (device.overMiB > 0) block.append(el('div', { className: 'device-over', text: `Over its free memory less the margin by ${gib(device.overMiB)}` }));
  return block;
}

function legend(): HTMLElement {
  const node = el('div', { className: 'legend' });
  for (const kind of SEGMENT_KINDS) {
    const item = el('span', { className: 'legend-item' });
    item.append(el('span', { className: `swatch segment-${kind}` }), el('span', { text: SEGMENT_NAMES[kind] }));
    node.append(item);
  }
  return node;
}

function numbersTable(devices: PlanDeviceView[]): HTMLTableElement {
  const table = el('table', { className: 'numbers', testId: 'plan-table' });
  const head = table.createTHead().insertRow();
  for (const title of ['MiB', 'Total', 'Other programs', 'Weights', 'KV cache', 'Compute', 'Free after load', 'Margin']) {
    head.append(el('th', { text: title }));
  }
  const body = table.createTBody();
  for (const d of devices) {
    const row = body.insertRow();
    row.append(el('th', { text: d.label }));
    for (const value of [d.totalMiB, d.otherMiB, d.weightsMiB, d.kvMiB, d.computeMiB]) {
      row.append(el('td', { text: mib(value) }));
    }
    row.append(el('td', { text: mib(d.leftMiB), className: d.overMiB > 0 ? 'over' : undefined }), el('td', { text: mib(d.marginMiB) }));
  }
  return table;
}

function list(title: string, items: string[], className: string): HTMLElement {
  const section = el('section', { className });
  section.append(el('h2', { text: title }));
  const ul = el('ul');
  for (const item of items) ul.append(el('li', { text: item }));
  section.append(ul);
  return section;
}

/** What the last tuning run tried, fastest first, the winner marked. */
function tuningSection(tuning: TuningView): HTMLElement {
  const section = el('section', { className: 'tuning', testId: 'plan-tuning' });
  section.append(el('h2', { text: `Measured (tuned for ${tuning.goal})` }), el('p', { text: `Fastest: ${tuning.summary}.` }));
  const table = el('table', { className: 'numbers', testId: 'plan-tuning-table' });
  const head = el('tr');
  for (const title of ['', 'Candidate', 'Settings', 'Prompt t/s median [95% CI]', 'Generation t/s median [95% CI]']) head.append(el('th', { text: title }));
  table.append(head);
  for (const r of tuning.rows) {
    const row = el('tr', { className: r.isWinner ? 'winner' : undefined });
    row.append(
      el('td', { text: r.isWinner ? '★' : '' }),
      el('th', { text: r.isDefault ? `${r.label} (llama.cpp)` : r.label }),
      el('td', { text: r.settings }),
      el('td', { text: r.prompt }),
      el('td', { text: r.generation }),
    );
    table.append(row);
  }
  section.append(table, el('p', { className: 'source', text: tuning.stopped }));
  return section;
}

export class PlanPage {
  readonly element = el('div', { className: 'plan' });
  private copyButton: HTMLButtonElement | undefined;
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly actions: PlanViewActions) {
    this.render({ kind: 'computing' });
  }

  render(state: PlanPanelState): void {
    this.copyButton = undefined;
    if (state.kind === 'plan') {
      this.element.replaceChildren(...this.planNodes(state.plan, state.computing, state.error));
      return;
    }
    const empty = el('div', { className: 'empty', testId: 'plan-empty' });
    if (state.kind === 'computing') {
      empty.append(el('p', { className: 'status', text: 'Planning the configured model…' }));
    } else {
      empty.append(el('h1', { text: 'Memory plan' }));
      if (state.kind === 'managed') {
        empty.append(el('p', { testId: 'plan-managed', text: `Memory is ${state.by}: it loads and places the model itself, so Headroom shows no numbers for it. "Headroom: Use the Local Model" switches back.` }));
        this.element.replaceChildren(empty);
        return;
      }
      if (state.kind === 'error') empty.append(el('p', { className: 'error', testId: 'plan-error', text: state.message }));
      else empty.append(el('p', { text: 'No plan yet. Headroom plans a model when it starts it, or now, without starting it:' }));
      empty.append(this.planButton('primary', false));
    }
    this.element.replaceChildren(empty);
  }

  /** The host copied the command line: say so on the button for a moment. */
  copied(): void {
    const button = this.copyButton;
    if (!button) return;
    button.textContent = 'Copied';
    clearTimeout(this.copiedTimer);
    this.copiedTimer = setTimeout(() => {
      button.textContent = 'Copy';
    }, 1500);
  }

  private planButton(appearance: 'primary' | 'secondary', computing: boolean): HTMLButtonElement {
    const button = createButton({
      label: computing ? 'Planning…' : 'Plan the configured model',
      testId: 'plan-compute',
      appearance,
      title: 'Plan the model in the settings for this machine, without starting it',
      onClick: () => this.actions.computePlan(),
    });
    setButtonEnabled(button, !computing);
    return button;
  }

  private planNodes(plan: PlanView, computing: boolean, error: string | undefined): HTMLElement[] {
    const header = el('header', { className: 'plan-header' });
    const title = el('div', { className: 'title-line' });
    title.append(
      el('h1', { text: plan.modelName }),
      el('span', { className: `badge badge-${plan.source}`, testId: 'plan-source', text: plan.source === 'dry-run' ? 'Dry run' : 'Estimate' }),
      el('span', { className: plan.fits ? 'badge badge-fits' : 'badge badge-nofit', text: plan.fits ? 'Fits' : 'Does not fit' }),
    );
    const spacer = el('span', { className: 'spacer' });
    title.append(spacer, this.planButton('secondary', computing));
    header.append(title, el('div', { className: 'model-path', text: plan.modelPath }), el('div', { className: 'source', text: `Numbers: ${plan.sourceLabel}` }));
    if (error) header.append(el('p', { className: 'error', testId: 'plan-error', text: error }));

    const devices = el('section', { className: 'devices' });
    devices.append(el('h2', { text: 'Memory per device' }), ...plan.devices.map(deviceBlock), legend());

    const tableSection = el('section', { className: 'table-section' });
    tableSection.append(numbersTable(plan.devices));

    const facts = el('section', { className: 'facts-section' });
    facts.append(el('h2', { text: 'Configuration' }));
    const dl = el('dl', { className: 'facts', testId: 'plan-facts' });
    for (const fact of plan.facts) dl.append(el('dt', { text: fact.label }), el('dd', { text: fact.value }));
    facts.append(dl);

    const nodes: HTMLElement[] = [header, devices, tableSection, facts];
    if (plan.warnings.length > 0) nodes.push(list('Warnings', plan.warnings, 'warnings'));
    if (plan.reasons.length > 0) nodes.push(list('Why', plan.reasons, 'reasons'));

    if (plan.tuning) nodes.push(tuningSection(plan.tuning));

    const command = el('section', { className: 'command' });
    const commandHead = el('div', { className: 'command-head' });
    this.copyButton = createButton({ label: 'Copy', testId: 'plan-copy', appearance: 'secondary', title: 'Copy the command line', onClick: () => this.actions.copyCommand() });
    commandHead.append(el('h2', { text: 'llama-server command line' }), this.copyButton);
    const pre = el('pre', { className: 'command-line', testId: 'plan-command' });
    pre.append(el('code', { text: plan.commandLine }));
    command.append(commandHead, pre);
    nodes.push(command);
    return nodes;
  }
}
