// The model-related settings and the Hugging Face token (kept in SecretStorage, never in settings).
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import type { HardwareProbe } from '../../memory/hardware';
import { defaultDownloadFolder } from '../../models/defaults';
import type { HfConfig } from '../../models/hfApi';
import type { VerdictFn } from '../../models/verdict';

export const HF_TOKEN_SECRET = 'headroom.huggingFaceToken';

/** What the model picker, the download command and the first-run path need. */
export interface ModelUiDeps {
  readonly secrets?: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
  readonly hardware: HardwareProbe;
  /** The interim size-based verdict until the planner provides one. */
  readonly verdict: VerdictFn;
}

export interface ModelSettings {
  readonly modelFolders: string[];
  readonly downloadFolder: string;
  readonly huggingFaceBaseUrl?: string;
}

const expandHome = (path: string): string => (path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path);

export function readModelSettings(): ModelSettings {
  const c = vscode.workspace.getConfiguration('headroom');
  const folders = c.get<unknown>('modelFolders', []);
  return {
    modelFolders: Array.isArray(folders) ? folders.filter((f): f is string => typeof f === 'string' && f.trim() !== '').map((f) => expandHome(f.trim())) : [],
    downloadFolder: expandHome(c.get<string>('downloadFolder', '').trim()) || defaultDownloadFolder(),
    huggingFaceBaseUrl: c.get<string>('huggingFaceBaseUrl', '').trim() || undefined,
  };
}

export async function hfConfig(deps: ModelUiDeps): Promise<HfConfig> {
  const token = (await deps.secrets?.get(HF_TOKEN_SECRET)) || process.env.HF_TOKEN || undefined;
  return { baseUrl: readModelSettings().huggingFaceBaseUrl, token };
}

/** Asks for a token (hidden input) and keeps it in SecretStorage; an empty answer removes it. */
export async function promptForToken(deps: ModelUiDeps, why?: string): Promise<boolean> {
  if (!deps.secrets) return false;
  const token = await vscode.window.showInputBox({
    title: 'Headroom: Hugging Face access token',
    prompt: `${why ? `${why} ` : ''}Create a read token at huggingface.co/settings/tokens. It is kept in VS Code's secret storage. Leave empty to remove the stored token.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (token === undefined) return false;
  if (token.trim()) await deps.secrets.store(HF_TOKEN_SECRET, token.trim());
  else await deps.secrets.delete(HF_TOKEN_SECRET);
  return token.trim() !== '';
}

/** Saves headroom.modelPath in the workspace or for the user, as the user picks. */
export async function saveModelChoice(path: string): Promise<boolean> {
  let target = vscode.ConfigurationTarget.Global;
  if (vscode.workspace.workspaceFolders?.length) {
    const where = await vscode.window.showQuickPick(
      [
        { label: 'User', description: 'every workspace', target: vscode.ConfigurationTarget.Global },
        { label: 'Workspace', description: 'only this workspace', target: vscode.ConfigurationTarget.Workspace },
      ],
      { title: `Headroom: use ${path.split(/[\\/]/).pop()} for...` },
    );
    if (!where) return false;
    target = where.target;
  }
  await vscode.workspace.getConfiguration('headroom').update('modelPath', path, target);
  return true;
}
