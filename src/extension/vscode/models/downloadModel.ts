// "Download Model...": a recommended coding model, or hf:owner/repo (its quants judged from headers
// read remotely) or a URL; downloaded with a cancellable progress notification.
import * as vscode from 'vscode';
import { type CatalogueEntry, recommendModels } from '../../models/catalogue';
import { describeVerification } from '../../models/downloadChecks';
import { DownloadCancelledError } from '../../models/downloadRetries';
import { formatBytes, formatDuration } from '../../models/format';
import { AccessDeniedError } from '../../models/http';
import { type PullPlan, planPull, runPull } from '../../models/pull';
import { parseModelRef, type RemoteModel } from '../../models/remoteModels';
import { adviseQuants, judgeRemoteModels } from '../../models/remoteVerdicts';
import { VERDICT_ICONS } from './modelScan';
import { readModelSettings } from '../config';
import { hfConfig, promptForToken } from './huggingFaceToken';
import type { ModelUiDeps } from './modelUiDeps';
import { pickerHardware } from './pickerHardware';

interface RefItem extends vscode.QuickPickItem {
  readonly ref?: string;
}

export function catalogueRef(entry: CatalogueEntry): string {
  return `hf:${entry.repo}/${entry.file}`;
}

/** The recommended coding models with their verdicts, the recommended one first and starred. */
export async function catalogueItems(deps: ModelUiDeps): Promise<RefItem[]> {
  const hardware = await pickerHardware(deps);
  const recs = recommendModels(hardware, deps.verdict);
  return [...recs.filter((r) => r.recommended), ...recs.filter((r) => !r.recommended)].map((r) => ({
    label: `${r.recommended ? '$(star-full) ' : ''}${r.entry.label}`,
    description: `${r.entry.parameters} · Q4_K_M · ~${formatBytes(r.entry.approxBytes)}`,
    detail: `${VERDICT_ICONS[r.verdict.kind]} ${r.verdict.text} (estimated from size): ${r.reason}`,
    ref: catalogueRef(r.entry),
  }));
}

async function askForRef(deps: ModelUiDeps): Promise<string | undefined> {
  const other: RefItem = { label: '$(edit) Enter hf:owner/repo or a URL...', alwaysShow: true };
  const choice = await vscode.window.showQuickPick([...(await catalogueItems(deps)), { label: '', kind: vscode.QuickPickItemKind.Separator }, other], {
    title: 'Headroom: download a model',
    placeHolder: 'A recommended coding model, or any GGUF repository on Hugging Face',
    matchOnDescription: true,
  });
  if (!choice) return undefined;
  if (choice.ref) return choice.ref;
  return vscode.window.showInputBox({
    title: 'Headroom: download a model',
    prompt: 'hf:owner/repo (lists its GGUF files), hf:owner/repo:Q4_K_M, hf:owner/repo/file.gguf, or an https:// URL',
    placeHolder: 'hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' || parseModelRef(v) ? undefined : 'Write hf:owner/repo or an http(s) URL'),
  });
}

/** Reads every quant's header remotely and lets the user pick, best for this machine first. */
async function chooseQuant(deps: ModelUiDeps, models: RemoteModel[]): Promise<RemoteModel | undefined> {
  const hf = await hfConfig(deps);
  const repo = models[0]!.repo; // planPull asks only with models found
  const judgedWithAdvice = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Headroom: reading ${models.length} model headers from ${repo}`, cancellable: true },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const hardware = await pickerHardware(deps);
      const list = await judgeRemoteModels(models, hardware, deps.verdict, hf, abort.signal);
      return { list, advice: adviseQuants(list, hardware) };
    },
  );
  const judged = judgedWithAdvice.list;
  const picked = await vscode.window.showQuickPick(
    judged.map((j, i) => ({
      label: `${i === 0 && !j.model.projector ? '$(star-full) ' : ''}${j.model.name}`,
      description: [j.summary?.quant ?? j.model.quant, formatBytes(j.model.sizeBytes), j.model.files.length > 1 ? `${j.model.files.length} parts` : '', j.model.projector ? 'projector' : '']
        .filter(Boolean).join(' · '),
      detail: `${VERDICT_ICONS[j.verdict.kind]} ${j.verdict.text}${j.summary ? '' : ' (header unreadable: estimated from size)'}`,
      model: j.model,
    })),
    { title: `Headroom: ${repo}`, placeHolder: judgedWithAdvice.advice?.why ?? 'Best for this machine first', matchOnDescription: true },
  );
  return picked?.model;
}

async function planWithToken(deps: ModelUiDeps, ref: string, folder: string): Promise<PullPlan | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await planPull(ref, { folder, hf: await hfConfig(deps) }, (models) => chooseQuant(deps, models));
    } catch (err) {
      if (!(err instanceof AccessDeniedError) || attempt > 0 || !(await promptForToken(deps, 'This repository is private or gated.'))) throw err;
    }
  }
}

/** Downloads `ref` (asked for when absent); returns the model's path, or undefined when cancelled. */
export async function downloadModel(deps: ModelUiDeps, ref?: string): Promise<string | undefined> {
  const chosen = ref ?? (await askForRef(deps));
  if (!chosen?.trim()) return undefined;
  const folder = readModelSettings().downloadFolder;
  const plan = await planWithToken(deps, chosen.trim(), folder);
  if (!plan) return undefined;
  const hf = await hfConfig(deps);
  const name = plan.model?.name ?? plan.modelPath.split(/[\\/]/).pop() ?? chosen;
  try {
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Headroom: downloading ${name}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let lastPercent = 0;
        const files = await runPull(plan, {
          folder,
          hf,
          signal: abort.signal,
          onRetry: (why) => progress.report({ message: `trying again: ${why}` }),
          onProgress: (p) => {
            const percent = p.totalBytes ? (100 * p.receivedBytes) / p.totalBytes : undefined;
            const of = p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : '';
            const eta = p.etaSeconds !== undefined ? ` · ${formatDuration(p.etaSeconds)} left` : '';
            progress.report({
              message: `${formatBytes(p.receivedBytes)}${of} · ${formatBytes(p.bytesPerSecond)}/s${eta}`,
              increment: percent === undefined ? undefined : Math.max(0, percent - lastPercent),
            });
            if (percent !== undefined) lastPercent = Math.max(lastPercent, percent);
          },
        });
        for (const f of files) deps.log.info(`download: ${f.path} (${f.size} bytes, ${f.alreadyPresent ? 'already present' : describeVerification(f.verified)}${f.resumedFrom ? `, resumed at ${f.resumedFrom}` : ''})`);
      },
    );
  } catch (err) {
    if (err instanceof DownloadCancelledError) {
      void vscode.window.showInformationMessage(`Headroom: download cancelled. ${err.hint ?? ''}`);
      return undefined;
    }
    throw err;
  }
  return plan.modelPath;
}
