// `headroom models [--all] [--json] [--folder DIR]`: the same discovery the extension uses.
// Environment: HEADROOM_MODEL_FOLDERS (':'-separated) for extra folders to search.
import { homedir } from 'node:os';
import { delimiter } from 'node:path';
import { SystemHardwareProbe } from '../../memory/hardware';
import { defaultDownloadFolder, headerCacheFile } from '../../models/defaults';
import { describeFound } from '../../models/describe';
import { discoverModels } from '../../models/discover';
import { HeaderCache } from '../../models/headerCache';
import { modelLocations, SOURCE_LABELS } from '../../models/locations';
import { planVerdict } from '../../models/planVerdict';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';
import { say } from '../say';

export async function runModels(options: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const folders = [...(env.HEADROOM_MODEL_FOLDERS ?? '').split(delimiter).filter(Boolean), defaultDownloadFolder(env)];
  if (options.folder !== undefined) folders.unshift(options.folder);
  const locations = modelLocations({ home: homedir(), env, modelFolders: folders });
  const [result, hardware] = await Promise.all([
    HeaderCache.open(headerCacheFile(env)).then((cache) => discoverModels(locations, { cache, includeNonModels: options.all })),
    new SystemHardwareProbe().sample(),
  ]);
  const rows = result.models.map((m) => ({ ...m, verdict: planVerdict(m.summary, hardware) }));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ models: rows.map(({ summary, ...rest }) => ({ ...rest, summary: { ...summary, layerBytes: undefined } })), skipped: result.skipped }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (rows.length === 0) say(`No GGUF models found in: ${locations.map((l) => l.root).join(', ')}.\nDownload one: headroom pull hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M`);
  for (const location of locations) {
    const here = rows.filter((r) => r.source === location.source && r.path.startsWith(location.root));
    if (here.length === 0) continue;
    process.stdout.write(`${SOURCE_LABELS[location.source]} (${location.root})\n`);
    for (const r of here) process.stdout.write(`  ${r.label}\n    ${describeFound(r)} · ${r.verdict.text}\n    ${r.path}\n`);
  }
  if (options.all && result.skipped.length > 0) {
    process.stdout.write('Skipped\n');
    for (const s of result.skipped) process.stdout.write(`  ${s.path}: ${s.reason}\n`);
  }
  return EXIT.ok;
}
