// "Select Model...": the models found on this machine, grouped by where they were found, with the
// verdict for this machine as detail; "Browse..." and "Download..." at the end.
import * as vscode from 'vscode';
import { describeFound } from '../../models/describe';
import { SOURCE_LABELS, type ModelSourceKind } from '../../models/locations';
import { type JudgedModel, scanModels, VERDICT_ICONS } from './modelScan';
import type { ModelUiDeps } from './modelUiDeps';
import { saveModelChoice } from './saveModelChoice';
import { readEndpointSetting, writeEndpointSetting } from '../config';

export type PickedModel = { readonly kind: 'model'; readonly path: string } | { readonly kind: 'browse' } | { readonly kind: 'download' } | { readonly kind: 'endpoint' };

interface PickItem extends vscode.QuickPickItem {
  readonly pick?: PickedModel;
}

const SOURCE_ORDER: readonly ModelSourceKind[] = ['folder', 'huggingface', 'lmstudio', 'llamacpp', 'ollama'];

export function modelItem(m: JudgedModel): PickItem {
  return {
    label: m.label,
    description: describeFound(m),
    detail: `${VERDICT_ICONS[m.verdict.kind]} ${m.verdict.text} · ${m.path}`,
    pick: { kind: 'model', path: m.path },
  };
}

export function groupedItems(models: readonly JudgedModel[]): PickItem[] {
  const items: PickItem[] = [];
  for (const source of SOURCE_ORDER) {
    const here = models.filter((m) => m.source === source);
    if (here.length === 0) continue;
    items.push({ label: SOURCE_LABELS[source], kind: vscode.QuickPickItemKind.Separator });
    items.push(...here.map(modelItem));
  }
  return items;
}

export const BROWSE_ITEM: PickItem = { label: '$(folder-opened) Browse...', description: 'any GGUF file', pick: { kind: 'browse' } };
export const DOWNLOAD_ITEM: PickItem = { label: '$(cloud-download) Download Model...', description: 'from Hugging Face or a URL', pick: { kind: 'download' } };
export const RUNNING_SERVER_ITEM: PickItem = { label: '$(server-environment) Use a running server...', description: 'Ollama, LM Studio, llama-server, any OpenAI-compatible URL', pick: { kind: 'endpoint' } };

/** Shows the picker at once (busy) and fills it when the scan finishes. */
export async function pickModel(deps: ModelUiDeps, title = 'Headroom: select a model'): Promise<PickedModel | undefined> {
  const qp = vscode.window.createQuickPick<PickItem>();
  qp.title = title;
  qp.placeholder = 'Looking for GGUF models on this machine...';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.busy = true;
  qp.items = [{ label: 'Actions', kind: vscode.QuickPickItemKind.Separator }, BROWSE_ITEM, DOWNLOAD_ITEM, RUNNING_SERVER_ITEM];
  const picked = new Promise<PickedModel | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.pick);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
  });
  qp.show();
  scanModels(deps).then(
    (models) => {
      qp.items = [...groupedItems(models), { label: 'Actions', kind: vscode.QuickPickItemKind.Separator }, BROWSE_ITEM, DOWNLOAD_ITEM, RUNNING_SERVER_ITEM];
      qp.placeholder = models.length ? `${models.length} models found · type to filter` : 'No GGUF models found: browse for one or download one';
      qp.busy = false;
    },
    (err: unknown) => {
      deps.log.error(`models: ${err instanceof Error ? err.message : String(err)}`);
      qp.placeholder = 'Could not scan for models: browse for one or download one';
      qp.busy = false;
    },
  );
  try {
    return await picked;
  } finally {
    qp.dispose();
  }
}

export async function browseForModel(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use this model',
    filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
    title: 'Headroom: choose a GGUF model',
  });
  return picked?.[0]?.fsPath;
}

/**
 * The whole "Select Model..." flow: pick, browse or download, then save headroom.modelPath.
 * `download` is the Download Model flow (injected to keep this file about picking).
 */
export async function selectModel(deps: ModelUiDeps, download: () => Promise<string | undefined>): Promise<string | undefined> {
  const picked = await pickModel(deps);
  if (!picked) return undefined;
  if (picked.kind === 'endpoint') {
    await vscode.commands.executeCommand('headroom.useRunningServer');
    return undefined;
  }
  const path = picked.kind === 'model' ? picked.path : picked.kind === 'browse' ? await browseForModel() : await download();
  if (!path) return undefined;
  if (!(await saveModelChoice(path))) return undefined;
  // Picking a local model is switching back from a running server.
  if (readEndpointSetting()) await writeEndpointSetting(undefined);
  return path;
}
