import * as vscode from 'vscode';
import { SystemHardwareProbe } from '../../memory/hardware';
import { planVerdict } from '../../models/planVerdict';
import type { ChatModels, ModelChoice } from '../../present/chatViewController';
import { readConfig } from '../config';
import { byVerdict, scanModels } from '../models/modelScan';
import type { ModelUiDeps } from '../models/modelUiDeps';
import { locatedBuildDevices } from '../models/pickerHardware';
import type { ServerController } from '../server/serverController';

/** The header's model switcher: the picker's scan and verdicts, and a switch that saves the choice and restarts. */
export class VsCodeChatModels implements ChatModels {
  private readonly deps: ModelUiDeps;

  constructor(
    private readonly server: ServerController,
    log: vscode.LogOutputChannel,
  ) {
    this.deps = { log, hardware: new SystemHardwareProbe(), buildDevices: locatedBuildDevices, verdict: planVerdict };
  }

  async list(): Promise<ModelChoice[]> {
    const models = await scanModels(this.deps);
    return [...models].sort(byVerdict).map((m) => ({ path: m.path, label: m.label, fit: m.verdict.kind, verdict: m.verdict.text }));
  }

  configured(): string | undefined {
    return readConfig().modelPath || undefined;
  }

  /**
   * Stops the running server first, so the settings change below does not also ask "restart now?"
   * (main.ts asks only while a server runs), then saves and starts the new model.
   */
  async switchTo(path: string): Promise<void> {
    const kind = this.server.supervisor.state.kind;
    const wasRunning = kind !== 'stopped' && kind !== 'failed';
    if (wasRunning) await this.server.stop();
    const settings = vscode.workspace.getConfiguration('headroom');
    // Where the current choice lives, the new one goes: a workspace's own model stays the workspace's.
    const target = settings.inspect('modelPath')?.workspaceValue !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await settings.update('modelPath', path, target);
    if (wasRunning) await this.server.start(path);
  }
}
