import type { ModelsView, ServerView, ViewCommand } from '../protocol/chat';
import { createIcon, createIconButton } from '../ui/toolkit';
import { el } from './dom';

export interface EmptyStateActions {
  run(command: ViewCommand): void;
}

interface Step {
  title: string;
  done: boolean;
  buttons: Array<{ command: ViewCommand; icon: string; text: string; label: string }>;
}

const fileName = (path: string): string => path.split(/[\\/]/).pop() ?? path;

/**
 * What an empty chat shows: the steps from nothing to a first reply, each with buttons that run the command
 * (the host runs only ids on the protocol's VIEW_COMMANDS list), and which model is configured and whether it runs.
 */
export class EmptyState {
  readonly element = el('section', { className: 'empty', testId: 'empty-chat' });
  private server: ServerView = { kind: 'stopped', label: '' };
  private models: ModelsView | undefined;

  constructor(private readonly actions: EmptyStateActions) {
    this.element.setAttribute('aria-label', 'Getting started');
    this.render();
  }

  setServer(server: ServerView): void {
    this.server = server;
    this.render();
  }

  setModels(models: ModelsView): void {
    this.models = models;
    this.render();
  }

  private render(): void {
    const configured = this.models?.configured ?? null;
    const running = this.server.kind === 'ready';
    const starting = ['locating', 'planning', 'building', 'starting', 'loading'].includes(this.server.kind);
    const status = el('p', { className: 'empty-status', testId: 'empty-status' });
    status.textContent = configured === null
      ? 'No model is configured yet.'
      : `Model: ${fileName(configured)} · ${running ? 'running' : starting ? 'starting…' : 'not running'}`;
    if (running) {
      this.element.replaceChildren(el('h2', { className: 'empty-title', text: 'Ask the local model anything' }), status, el('p', { className: 'empty-hint', text: 'Enter sends, Shift+Enter starts a new line, Up recalls your last message.' }));
      return;
    }
    const steps: Step[] = [
      {
        title: 'Pick a model on this machine, or download one sized to it',
        done: configured !== null,
        buttons: [
          { command: 'headroom.selectModel', icon: 'folder-opened', text: 'Select Model…', label: 'Select a model on this machine' },
          { command: 'headroom.downloadModel', icon: 'cloud-download', text: 'Download…', label: 'Download a model' },
        ],
      },
      {
        title: 'Start it: Headroom plans memory and runs llama-server',
        done: running,
        buttons: [
          { command: 'headroom.start', icon: 'play', text: 'Start', label: 'Start the local model' },
          { command: 'headroom.showPlan', icon: 'graph', text: 'Memory plan', label: 'Show the memory plan' },
        ],
      },
      { title: 'Ask a question below', done: false, buttons: [] },
    ];
    const list = el('ol', { className: 'empty-steps' });
    for (const step of steps) {
      const item = el('li', { className: 'empty-step', testId: 'empty-step' });
      if (step.done) item.dataset.done = 'true';
      const title = el('span', { className: 'empty-step-title', text: step.title });
      if (step.done) title.prepend(createIcon('check'));
      const buttons = el('div', { className: 'empty-step-buttons' });
      for (const b of step.buttons) {
        buttons.append(createIconButton({ icon: b.icon, text: b.text, label: b.label, testId: `run-${b.command.replace('headroom.', '')}`, onClick: () => this.actions.run(b.command) }));
      }
      item.append(title, buttons);
      list.append(item);
    }
    this.element.replaceChildren(el('h2', { className: 'empty-title', text: 'Chat with a model on this machine' }), status, list);
  }
}
