import * as vscode from 'vscode';
import type { Disposable } from '../../common/emitter';
import { isLiveSource, vramReadings, type HardwareProbe } from '../../memory/hardware';
import { assessMemory, type MemoryAlert } from '../../memory/memoryWatch';
import { statusBarContent, type MemorySample } from '../../present/statusBarText';
import type { ServerState } from '../../llama/serverState';
import type { ServerController } from './serverController';
import { endpointStatusBar } from '../../present/endpointView';
import type { EndpointTarget } from '../endpoints/endpointTarget';

/** Below this much available RAM the status bar warns: the system is about to swap or kill something. */
const RAM_LOW_MIB = 512;

/** The status-bar item: server state, live memory while ready, and the last reply's speed. */
export class StatusBar implements Disposable {
  private readonly item = vscode.window.createStatusBarItem('headroom.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: Disposable[] = [];
  private timer: NodeJS.Timeout | null = null;
  private memory: MemorySample | undefined;
  private tokensPerSecond: number | null = null;
  private alerts: MemoryAlert[] = [];
  /** Alert kinds already shown as a notification for the running server (each is shown once). */
  private notified = new Set<MemoryAlert['kind']>();

  constructor(
    private readonly controller: ServerController,
    private readonly probe: HardwareProbe,
    /** While a running server is used, the item says whose it is instead of the local model's numbers. */
    private readonly endpoint?: EndpointTarget,
    private readonly sampleEveryMs = 2_000,
  ) {
    this.item.name = 'Headroom';
    this.item.command = 'headroom.statusMenu';
    this.subscriptions.push(
      this.item,
      controller.supervisor.onDidChangeState((s) => this.onState(s)),
      controller.onDidChangePlan(() => this.render(controller.supervisor.state)),
      ...(endpoint ? [endpoint.onDidChange(() => this.render(controller.supervisor.state))] : []),
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
      this.memory = undefined;
      this.alerts = [];
      this.notified.clear();
    }
    this.render(state);
  }

  private async sample(): Promise<void> {
    const server = this.controller.server;
    const [facts, rss] = await Promise.all([this.probe.sample(), server ? this.probe.processRssMiB(server.pid) : Promise.resolve(undefined)]);
    const report = this.controller.plan;
    // The GPUs the server was planned on (llama.cpp's device list, or the live ones), read from this sample where it can.
    this.memory = { facts, serverRssMiB: rss, readings: vramReadings(report?.hardware.gpus ?? facts.gpus, facts) };
    if (server && report) {
      const serverVram = facts.gpus.length > 0 ? await this.probe.processVramMiB(server.pid) : undefined;
      const planned = report.plan.devices.flatMap((d, i): [number, number][] => {
        const gpu = report.hardware.gpus[i];
        return gpu && isLiveSource(gpu.source) ? [[gpu.index, d.modelMiB + d.contextMiB + d.computeMiB]] : [];
      });
      this.alerts = assessMemory({
        facts,
        serverVramMiB: serverVram && serverVram.size > 0 ? serverVram : undefined,
        plannedVramMiB: new Map(planned),
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
    const endpointState = this.endpoint?.state;
    if (endpointState) {
      const { text, tooltip } = endpointStatusBar(endpointState);
      this.item.text = text;
      this.item.tooltip = tooltip;
      this.item.backgroundColor = undefined;
      return;
    }
    const content = statusBarContent({
      state,
      view: this.controller.view,
      memory: this.memory,
      tokensPerSecond: this.tokensPerSecond,
      alerts: this.alerts,
      plan: this.controller.plan,
    });
    this.item.text = content.text;
    const tip = new vscode.MarkdownString(content.tooltip, true);
    tip.isTrusted = false;
    this.item.tooltip = tip;
    this.item.backgroundColor = content.background ? new vscode.ThemeColor(`statusBarItem.${content.background}Background`) : undefined;
  }
}
