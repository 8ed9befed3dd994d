import * as vscode from 'vscode';
import type { Disposable } from '../../common/emitter';
import { memoryReadout, type HardwareProbe } from '../../memory/hardware';
import { assessMemory, type MemoryAlert } from '../../memory/memoryWatch';
import { planSummary, sourceLabel } from '../../present/planView';
import type { ServerState } from '../../llama/serverState';
import type { ServerController } from './serverController';

const ICONS: Record<ServerState['kind'], string> = {
  stopped: '$(circle-slash)',
  locating: '$(loading~spin)',
  planning: '$(loading~spin)',
  building: '$(tools)',
  starting: '$(loading~spin)',
  loading: '$(loading~spin)',
  ready: '$(pulse)',
  crashed: '$(warning)',
  failed: '$(error)',
};

/** Below this much available RAM the status bar warns: the system is about to swap or kill something. */
const RAM_LOW_MIB = 512;

/** The status-bar item: server state, live memory while ready, and the last reply's speed. */
export class StatusBar implements Disposable {
  private readonly item = vscode.window.createStatusBarItem('headroom.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: Disposable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private memory = '';
  private tokensPerSecond: number | null = null;
  private alerts: MemoryAlert[] = [];
  /** Alert kinds already shown as a notification for the running server (each is shown once). */
  private notified = new Set<MemoryAlert['kind']>();

  constructor(
    private readonly controller: ServerController,
    private readonly probe: HardwareProbe,
    private readonly sampleEveryMs = 2_000,
  ) {
    this.item.name = 'Headroom';
    this.item.command = 'headroom.statusMenu';
    this.subscriptions.push(
      this.item,
      controller.supervisor.onDidChangeState((s) => this.onState(s)),
      controller.onDidChangePlan(() => this.render(controller.supervisor.state)),
    );
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
      this.alerts = [];
      this.notified.clear();
    }
    this.render(state);
  }

  private async sample(): Promise<void> {
    const server = this.controller.server;
    const [facts, rss] = await Promise.all([this.probe.sample(), server ? this.probe.processRssMiB(server.pid) : Promise.resolve(undefined)]);
    this.memory = memoryReadout(facts, rss);
    const report = this.controller.plan;
    if (server && report) {
      const serverVram = facts.gpus.length > 0 ? await this.probe.processVramMiB(server.pid) : undefined;
      this.alerts = assessMemory({
        facts,
        serverVramMiB: serverVram && serverVram.size > 0 ? serverVram : undefined,
        plannedVramMiB: new Map(report.plan.devices.map((d, i) => [i, d.modelMiB + d.contextMiB + d.computeMiB])),
        marginMiB: report.marginMiB ?? 1024,
        ramMarginMiB: RAM_LOW_MIB,
      });
      for (const alert of this.alerts) this.notify(alert);
    }
    this.render(this.controller.supervisor.state);
  }

  /** Warns once per kind per running server, offering the re-plan that fits the memory left now. */
  private notify(alert: MemoryAlert): void {
    if (this.notified.has(alert.kind)) return;
    this.notified.add(alert.kind);
    void vscode.window.showWarningMessage(`Headroom: ${alert.message}`, 'Re-plan and restart').then((choice) => {
      if (choice) void vscode.commands.executeCommand('headroom.restart');
    });
  }

  private render(state: ServerState): void {
    const view = this.controller.view;
    const parts = [`${ICONS[state.kind]} Headroom`];
    if (state.kind === 'ready') {
      if (this.alerts.length > 0) parts[0] = `$(warning) Headroom`;
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
      tip.appendMarkdown(`Model: ${codeSpan(state.model)}  \nContext: ${state.contextSize} tokens  \nServer: ${escapeMd(state.baseUrl)} (pid ${state.pid})\n\n`);
      if (this.memory) tip.appendMarkdown(`Memory: ${escapeMd(this.memory)}\n\n`);
      const report = this.controller.plan;
      if (report) tip.appendMarkdown(`Plan (${escapeMd(sourceLabel(report.plan))}): ${escapeMd(planSummary(report.plan))}\n\n`);
      for (const alert of this.alerts) tip.appendMarkdown(`$(warning) ${escapeMd(alert.message)}\n\n`);
    }
    if (view.detail && state.kind !== 'ready') tip.appendCodeblock(view.detail, 'text');
    tip.appendMarkdown('Click for actions.');
    this.item.tooltip = tip;
    this.item.backgroundColor =
      state.kind === 'failed' || state.kind === 'crashed'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : state.kind === 'ready' && this.alerts.length > 0
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }
}

/** A Markdown code span of `text` as is: backslash escapes are literal inside one, so the fence outgrows any backtick run. */
function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${text} ${fence}`;
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
