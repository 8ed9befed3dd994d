import * as vscode from 'vscode';
import type { Disposable } from '../common/emitter';
import { memoryReadout, type HardwareProbe } from '../memory/hardware';
import type { ServerState } from '../llama/serverState';
import type { ServerController } from './serverController';

const ICONS: Record<ServerState['kind'], string> = {
  stopped: '$(circle-slash)',
  locating: '$(loading~spin)',
  building: '$(tools)',
  starting: '$(loading~spin)',
  loading: '$(loading~spin)',
  ready: '$(pulse)',
  crashed: '$(warning)',
  failed: '$(error)',
};

/** The status-bar item: server state, live memory while ready, and the last reply's speed. */
export class StatusBar implements Disposable {
  private readonly item = vscode.window.createStatusBarItem('headroom.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: Disposable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private memory = '';
  private tokensPerSecond: number | null = null;

  constructor(
    private readonly controller: ServerController,
    private readonly probe: HardwareProbe,
    private readonly sampleEveryMs = 2_000,
  ) {
    this.item.name = 'Headroom';
    this.item.command = 'headroom.statusMenu';
    this.subscriptions.push(this.item, controller.supervisor.onDidChangeState((s) => this.onState(s)));
    this.onState(controller.supervisor.state);
    this.item.show();
  }

  /** Called by the chat view when a reply finishes. */
  setTokensPerSecond(value: number): void {
    this.tokensPerSecond = value;
    this.render(this.controller.supervisor.state);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private onState(state: ServerState): void {
    if (state.kind === 'ready' && !this.timer) {
      void this.sample();
      this.timer = setInterval(() => void this.sample(), this.sampleEveryMs);
    } else if (state.kind !== 'ready' && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.memory = '';
    }
    this.render(state);
  }

  private async sample(): Promise<void> {
    const server = this.controller.server;
    const [facts, rss] = await Promise.all([this.probe.sample(), server ? this.probe.processRssMiB(server.pid) : Promise.resolve(undefined)]);
    this.memory = memoryReadout(facts, rss);
    this.render(this.controller.supervisor.state);
  }

  private render(state: ServerState): void {
    const view = this.controller.view;
    const parts = [`${ICONS[state.kind]} Headroom`];
    if (state.kind === 'ready') {
      if (this.memory) parts.push(this.memory);
      if (this.tokensPerSecond !== null) parts.push(`${this.tokensPerSecond.toFixed(1)} tok/s`);
    } else if (state.kind !== 'stopped') {
      parts.push(view.label);
    }
    this.item.text = parts.join(' · ');
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    tip.appendMarkdown(`**Headroom** — ${escapeMd(view.label)}\n\n`);
    if (state.kind === 'ready') {
      tip.appendMarkdown(`Model: \`${escapeMd(state.model)}\`  \nContext: ${state.contextSize} tokens  \nServer: ${escapeMd(state.baseUrl)} (pid ${state.pid})\n\n`);
      if (this.memory) tip.appendMarkdown(`Memory: ${escapeMd(this.memory)}\n\n`);
    }
    if (view.detail && state.kind !== 'ready') tip.appendCodeblock(view.detail, 'text');
    tip.appendMarkdown('Click for actions.');
    this.item.tooltip = tip;
    this.item.backgroundColor =
      state.kind === 'failed' || state.kind === 'crashed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
