import type { ModelsView, ServerView } from '../protocol/chat';
import { createIconButton, createSelect, setSelectOptions, type SelectOption } from '../ui/toolkit';
import { el } from './dom';
import { canStartServer } from './format';

export interface ServerHeaderActions {
  startServer(): void;
  switchModel(path: string): void;
}

const FIT_MARKS: Readonly<Record<ModelsView['models'][number]['fit'], string>> = {
  gpu: 'GPU',
  partial: 'GPU+CPU',
  cpu: 'CPU',
  'no-fit': 'does not fit',
};

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/**
 * The top of the view: the model switcher (the models found on this machine, each with its verdict), what the
 * server is doing, a Start button when it is not running, and a one-line notice (a switch in progress).
 * New Chat and History are the view's title actions (package.json view/title), not buttons here.
 */
export class ServerHeader {
  readonly element = el('header', { className: 'header', testId: 'header' });
  private readonly label = el('span', { className: 'server-label', testId: 'server-state', id: 'server-state', text: 'Connecting…' });
  private readonly detail = el('div', { className: 'server-detail', testId: 'server-detail' });
  private readonly notice = el('div', { className: 'header-notice', testId: 'header-notice' });
  private readonly start: HTMLButtonElement;
  private readonly models: HTMLSelectElement;
  private configured: string | null = null;

  constructor(private readonly actions: ServerHeaderActions) {
    this.start = createIconButton({ icon: 'play', label: 'Start the model', testId: 'start-server', id: 'start-server', onClick: () => actions.startServer() });
    this.start.hidden = true;
    this.models = createSelect({
      testId: 'model-switcher',
      id: 'model-switcher',
      label: 'Model (switching restarts the server)',
      onChange: (path) => this.switchTo(path),
    });
    this.models.hidden = true;
    this.label.setAttribute('role', 'status');
    this.detail.hidden = true;
    this.notice.hidden = true;
    this.notice.setAttribute('role', 'status');
    const line = el('div', { className: 'header-line' });
    line.append(this.models, this.start);
    const state = el('div', { className: 'header-state' });
    state.append(this.label);
    this.element.append(line, state, this.notice, this.detail);
  }

  update(server: ServerView): void {
    this.label.textContent = server.label;
    this.label.dataset.kind = server.kind;
    this.label.title = server.detail ?? server.label;
    this.detail.textContent = server.detail ?? '';
    this.detail.hidden = !server.detail;
    this.start.hidden = !canStartServer(server.kind);
  }

  /** The switcher's list: the configured model first when the scan did not find it (a file outside the folders). */
  setModels(view: ModelsView): void {
    this.configured = view.configured;
    const options: SelectOption[] = view.models.map((m) => ({ value: m.path, label: `${m.label} · ${FIT_MARKS[m.fit]}`, title: `${m.verdict} · ${m.path}` }));
    if (view.configured !== null && !view.models.some((m) => m.path === view.configured)) {
      options.unshift({ value: view.configured, label: fileName(view.configured), title: view.configured });
    }
    if (view.configured === null) options.unshift({ value: '', label: view.scanning ? 'Looking for models…' : 'No model selected', title: 'headroom.modelPath is not set' });
    setSelectOptions(this.models, options, view.configured ?? '');
    this.models.hidden = options.length === 0;
  }

  /** '' clears it. */
  setNotice(text: string): void {
    this.notice.textContent = text;
    this.notice.hidden = text === '';
  }

  private switchTo(path: string): void {
    if (path === '' || path === this.configured) return;
    // The selection stays on the new model; the host's next list (sent when the setting changes) confirms it.
    this.configured = path;
    this.actions.switchModel(path);
  }
}
