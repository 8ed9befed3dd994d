// Judges a repository's quants before anything is downloaded: each model's header is read over
// range requests (all parts of a split model), and the verdict ranks them for this machine.
import type { HardwareFacts } from '../memory/hardware';
import { readGgufHeaderFrom } from '../gguf/header';
import { authHeaders, type HfConfig, resolveUrl } from './hfApi';
import { mergeShards, type ModelSummary, summarizeHeader, type WeightsLayout } from './modelSummary';
import type { RemoteModel } from './remoteModels';
import { openHttpSource } from './remoteSource';
import { type Verdict, VERDICT_ORDER, type VerdictFn } from './verdict';
import { rankQuants, type QuantAdvice } from '../memory/quantAdvice';

export interface JudgedRemoteModel {
  readonly model: RemoteModel;
  /** Undefined when the header could not be read remotely; the verdict then uses the file size. */
  readonly summary?: ModelSummary;
  readonly headerError?: string;
  readonly verdict: Verdict;
}

export async function readRemoteSummary(model: RemoteModel, hf: HfConfig, signal?: AbortSignal): Promise<ModelSummary> {
  const shards: ModelSummary[] = [];
  for (const file of model.files) {
    const source = await openHttpSource(resolveUrl(model.repo, file.path, hf), { headers: authHeaders(hf), signal, fetchImpl: hf.fetchImpl });
    try {
      shards.push(summarizeHeader(await readGgufHeaderFrom(source)));
    } finally {
      await source.close();
    }
  }
  return mergeShards(shards);
}

export function sizeOnly(bytes: number): WeightsLayout {
  return { tensorBytes: bytes, layerBytes: [], otherBytes: bytes };
}

/**
 * Best first: models before projectors, then by verdict (GPU, partly GPU, CPU, no fit); among
 * those that fit wholly (on GPU or in RAM) the largest, i.e. the best quality this machine runs at
 * that speed; among partial fits and misfits the smallest, i.e. the most on the GPU.
 */
export function compareJudged(a: JudgedRemoteModel, b: JudgedRemoteModel): number {
  if (a.model.projector !== b.model.projector) return a.model.projector ? 1 : -1;
  const byVerdict = VERDICT_ORDER[a.verdict.kind] - VERDICT_ORDER[b.verdict.kind];
  if (byVerdict !== 0) return byVerdict;
  const bigFirst = a.verdict.kind === 'gpu' || a.verdict.kind === 'cpu';
  return bigFirst ? b.model.sizeBytes - a.model.sizeBytes : a.model.sizeBytes - b.model.sizeBytes;
}

export async function judgeRemoteModels(
  models: readonly RemoteModel[],
  hardware: HardwareFacts,
  verdictFn: VerdictFn,
  hf: HfConfig,
  signal?: AbortSignal,
): Promise<JudgedRemoteModel[]> {
  const judged: JudgedRemoteModel[] = [];
  // Two at a time: each read is a handful of range requests; a repo has up to ~30 quants.
  const queue = [...models];
  const worker = async (): Promise<void> => {
    for (let model = queue.shift(); model; model = queue.shift()) {
      try {
        const summary = await readRemoteSummary(model, hf, signal);
        judged.push({ model, summary, verdict: verdictFn(summary, hardware) });
      } catch (err) {
        if (signal?.aborted) throw err;
        const headerError = err instanceof Error ? err.message : String(err);
        judged.push({ model, headerError, verdict: verdictFn(sizeOnly(model.sizeBytes), hardware) });
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return judged.sort(compareJudged);
}

/** The planner's recommendation among a repo's quants, with its one-sentence why (headers that were read only). */
export function adviseQuants(judged: readonly JudgedRemoteModel[], hardware: HardwareFacts): QuantAdvice | undefined {
  const candidates = judged.flatMap((j) => (j.summary?.shape && !j.model.projector ? [{ label: j.model.name, header: j.summary.shape }] : []));
  return candidates.length > 0 ? rankQuants(candidates, hardware) : undefined;
}
