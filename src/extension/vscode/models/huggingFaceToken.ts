// The Hugging Face token: kept in SecretStorage, never in settings.
import * as vscode from 'vscode';
import type { HfConfig } from '../../models/hfApi';
import { readModelSettings } from '../config';
import type { ModelUiDeps } from './modelUiDeps';

export const HF_TOKEN_SECRET = 'headroom.huggingFaceToken';

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
