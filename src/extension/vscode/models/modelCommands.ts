// The model commands' bodies, for commands.ts to register through its error wrapper:
// the first-run path of Start Local Model, Select Model..., Download Model..., and the token.
import * as vscode from 'vscode';
import { SystemHardwareProbe } from '../../memory/hardware';
import { planVerdict } from '../../models/planVerdict';
import { downloadModel } from './downloadModel';
import { firstRunModel } from './firstRun';
import { selectModel } from './modelPicker';
import { HF_TOKEN_SECRET, promptForToken } from './huggingFaceToken';
import type { ModelUiDeps } from './modelUiDeps';
import { locatedBuildDevices } from './pickerHardware';
import { saveModelChoice } from './saveModelChoice';

export interface ModelCommands {
  /** With no model configured: returns the model to start, or undefined. */
  firstRun(): Promise<string | undefined>;
  /** Select Model...: returns the saved path, or undefined. */
  select(): Promise<string | undefined>;
  /** Download Model...: downloads, then offers to use it; returns the path. */
  download(ref?: unknown): Promise<string | undefined>;
  setToken(): Promise<void>;
}

export function modelCommands(options: { log: vscode.LogOutputChannel; secrets?: vscode.SecretStorage }): ModelCommands {
  const deps: ModelUiDeps = { log: options.log, secrets: options.secrets, hardware: new SystemHardwareProbe(), buildDevices: locatedBuildDevices, verdict: planVerdict };
  return {
    firstRun: () => firstRunModel(deps),
    select: () => selectModel(deps, () => downloadModel(deps)),
    download: async (ref) => {
      const path = await downloadModel(deps, typeof ref === 'string' ? ref : undefined);
      if (!path) return undefined;
      const use = await vscode.window.showInformationMessage(`Headroom: downloaded ${path}.`, 'Use This Model');
      if (use) await saveModelChoice(path);
      return path;
    },
    setToken: async () => {
      if (!deps.secrets) return;
      const had = Boolean(await deps.secrets.get(HF_TOKEN_SECRET));
      const stored = await promptForToken(deps, had ? 'A token is stored; enter a new one to replace it.' : undefined);
      if (stored) void vscode.window.showInformationMessage('Headroom: Hugging Face token saved in secret storage.');
    },
  };
}
