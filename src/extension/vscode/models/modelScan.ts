import { homedir } from 'node:os';
import { headerCacheFile } from '../../models/defaults';
import { discoverModels, type FoundModel } from '../../models/discover';
import { HeaderCache } from '../../models/headerCache';
import { modelLocations } from '../../models/locations';
import type { Verdict } from '../../models/verdict';
import { VERDICT_ORDER } from '../../models/verdict';
import { readModelSettings } from '../config';
import type { ModelUiDeps } from './modelUiDeps';
import { pickerHardware } from './pickerHardware';

export interface JudgedModel extends FoundModel {
  readonly verdict: Verdict;
}

/** Models on this machine (settings folders, the download folder, other tools' folders), each with its verdict. */
export async function scanModels(deps: ModelUiDeps): Promise<JudgedModel[]> {
  const settings = readModelSettings();
  const locations = modelLocations({ home: homedir(), modelFolders: [...settings.modelFolders, settings.downloadFolder] });
  const [result, hardware] = await Promise.all([
    HeaderCache.open(headerCacheFile()).then((cache) => discoverModels(locations, { cache })),
    pickerHardware(deps),
  ]);
  for (const s of result.skipped) deps.log.debug(`models: skipped ${s.path}: ${s.reason}`);
  return result.models.map((m) => ({ ...m, verdict: deps.verdict(m.summary, hardware) }));
}

export function byVerdict(a: JudgedModel, b: JudgedModel): number {
  return VERDICT_ORDER[a.verdict.kind] - VERDICT_ORDER[b.verdict.kind] || b.sizeBytes - a.sizeBytes;
}

export const VERDICT_ICONS: Readonly<Record<Verdict['kind'], string>> = {
  gpu: '$(pass-filled)',
  partial: '$(pie-chart)',
  cpu: '$(circuit-board)',
  'no-fit': '$(error)',
};
