// "Start Local Model" with no model configured: a model found on this machine, a recommended coding
// model sized to this machine (downloaded), a file anywhere, or the generated demo model.
import * as vscode from 'vscode';
import { defaultDownloadFolder } from '../../models/defaults';
import { ensureDemoModel } from '../../models/demoModel';
import { catalogueItems, downloadModel } from './downloadModel';
import { browseForModel, modelItem } from './modelPicker';
import { byVerdict, scanModels } from './modelScan';
import type { ModelUiDeps } from './modelUiDeps';
import { saveModelChoice } from './saveModelChoice';

type Action = { kind: 'path'; path: string } | { kind: 'download'; ref?: string } | { kind: 'browse' } | { kind: 'demo' };

interface FirstRunItem extends vscode.QuickPickItem {
  readonly action?: Action;
}

const separator = (label: string): FirstRunItem => ({ label, kind: vscode.QuickPickItemKind.Separator });

export async function firstRunModel(deps: ModelUiDeps): Promise<string | undefined> {
  const items = async (): Promise<FirstRunItem[]> => {
    const [found, recommended] = await Promise.all([scanModels(deps).catch(() => []), catalogueItems(deps)]);
    const out: FirstRunItem[] = [];
    if (found.length > 0) {
      out.push(separator('On this machine'));
      out.push(...[...found].sort(byVerdict).map((m): FirstRunItem => ({ ...modelItem(m), action: { kind: 'path', path: m.path } })));
    }
    out.push(separator('Download a coding model (Hugging Face)'));
    out.push(...recommended.map((r): FirstRunItem => ({ ...r, action: { kind: 'download', ref: r.ref } })));
    out.push({ label: '$(cloud-download) Another model...', description: 'hf:owner/repo or a URL', action: { kind: 'download' } });
    out.push(separator('Other'));
    out.push({ label: '$(folder-opened) Browse...', description: 'any GGUF file', action: { kind: 'browse' } });
    out.push({ label: '$(beaker) Try the demo model', description: 'random weights: gibberish replies, real pipeline', action: { kind: 'demo' } });
    return out;
  };
  const choice = await vscode.window.showQuickPick(items(), {
    title: 'Headroom: no model is configured yet (headroom.modelPath)',
    placeHolder: 'Pick a model found on this machine, download one sized to it, or browse',
    matchOnDescription: true,
  });
  const action = choice?.action;
  if (!action) return undefined;
  if (action.kind === 'demo') return ensureDemoModel(defaultDownloadFolder());
  const path = action.kind === 'path' ? action.path : action.kind === 'browse' ? await browseForModel() : await downloadModel(deps, action.ref);
  if (!path) return undefined;
  await saveModelChoice(path);
  return path;
}
