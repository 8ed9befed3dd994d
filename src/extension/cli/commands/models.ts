// `headroom models` and `headroom pull`: the same discovery and download the extension uses.
// Environment: HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) for private repos, HF_ENDPOINT for a mirror,
// HEADROOM_MODEL_FOLDERS (':'-separated) for extra folders to search.
import { homedir } from 'node:os';
import { delimiter } from 'node:path';
import { parseArgs } from 'node:util';
import { HeadroomError } from '../../common/errors';
import { SystemHardwareProbe } from '../../memory/hardware';
import { defaultDownloadFolder, headerCacheFile } from '../../models/defaults';
import { describeFound } from '../../models/describe';
import { discoverModels } from '../../models/discover';
import { formatBytes, formatDuration } from '../../models/format';
import { HeaderCache } from '../../models/headerCache';
import { HfConfig } from '../../models/hfApi';
import { modelLocations, SOURCE_LABELS } from '../../models/locations';
import { DownloadProgress } from '../../models/progress';
import { planPull, runPull } from '../../models/pull';
import { adviseQuants, judgeRemoteModels } from '../../models/remoteVerdicts';
import { planVerdict } from '../../models/planVerdict';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

export function hfConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HfConfig {
  return { baseUrl: env.HF_ENDPOINT || undefined, token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined };
}

function options(argv: readonly string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: { all: { type: 'boolean' }, json: { type: 'boolean' }, dir: { type: 'string' }, folder: { type: 'string', multiple: false } },
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

export async function modelsCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = options(argv);
  const folders = [...(env.HEADROOM_MODEL_FOLDERS ?? '').split(delimiter).filter(Boolean), defaultDownloadFolder(env)];
  if (typeof values.folder === 'string') folders.unshift(values.folder);
  const locations = modelLocations({ home: homedir(), env, modelFolders: folders });
  const [result, hardware] = await Promise.all([
    HeaderCache.open(headerCacheFile(env)).then((cache) => discoverModels(locations, { cache, includeNonModels: values.all === true })),
    new SystemHardwareProbe().sample(),
  ]);
  const rows = result.models.map((m) => ({ ...m, verdict: planVerdict(m.summary, hardware) }));
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ models: rows.map(({ summary, ...rest }) => ({ ...rest, summary: { ...summary, layerBytes: undefined } })), skipped: result.skipped }, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) say(`No GGUF models found in: ${locations.map((l) => l.root).join(', ')}.\nDownload one: headroom pull hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M`);
  for (const location of locations) {
    const here = rows.filter((r) => r.source === location.source && r.path.startsWith(location.root));
    if (here.length === 0) continue;
    process.stdout.write(`${SOURCE_LABELS[location.source]} (${location.root})\n`);
    for (const r of here) process.stdout.write(`  ${r.label}\n    ${describeFound(r)} · ${r.verdict.text}\n    ${r.path}\n`);
  }
  if (values.all && result.skipped.length > 0) {
    process.stdout.write('Skipped\n');
    for (const s of result.skipped) process.stdout.write(`  ${s.path}: ${s.reason}\n`);
  }
  return 0;
}

export function progressLine(p: DownloadProgress): string {
  const of = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : '';
  const eta = p.etaSeconds !== undefined ? ` · ${formatDuration(p.etaSeconds)} left` : '';
  return `${p.file}: ${formatBytes(p.receivedBytes)}${of} · ${formatBytes(p.bytesPerSecond)}/s${eta}`;
}

export async function pullCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values, positionals } = options(argv);
  const ref = positionals[1];
  if (!ref) throw new HeadroomError('headroom pull needs a model: hf:owner/repo[:QUANT | /file.gguf] or a URL.');
  const folder = typeof values.dir === 'string' ? values.dir : defaultDownloadFolder(env);
  const hf = hfConfigFromEnv(env);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const plan = await planPull(ref, { folder, hf, signal: abort.signal }, async (models) => {
      const hardware = await new SystemHardwareProbe().sample();
      const judged = await judgeRemoteModels(models, hardware, planVerdict, hf, abort.signal);
      say(`${models[0].repo}: name one of these (best for this machine first):`);
      for (const j of judged) {
        const what = j.summary ? `${j.summary.architecture} · ${j.summary.quant ?? j.model.quant ?? '?'}` : (j.model.quant ?? '?');
        const tag = j.model.quant ? `hf:${j.model.repo}:${j.model.quant}` : `hf:${j.model.repo}/${j.model.files[0].path}`;
        say(`  ${tag}\n    ${what} · ${formatBytes(j.model.sizeBytes)} · ${j.verdict.text}${j.model.projector ? ' · projector' : ''}`);
      }
      const advice = adviseQuants(judged, hardware);
      if (advice?.recommended) say(`Recommended: ${advice.recommended.label}. ${advice.why}`);
      return undefined;
    });
    if (!plan) return 2;
    const tty = process.stderr.isTTY;
    let lastLine = 0;
    const files = await runPull(plan, {
      folder,
      hf,
      signal: abort.signal,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${progressLine(p)}\x1b[K`);
        else if (performance.now() - lastLine > 5000) {
          lastLine = performance.now();
          say(progressLine(p));
        }
      },
    });
    if (tty) process.stderr.write('\n');
    for (const f of files) say(`${f.alreadyPresent ? 'already here' : `downloaded (${f.verified === 'none' ? 'unverified' : `${f.verified} checked`})`}: ${f.path} (${formatBytes(f.size)})`);
    process.stdout.write(`${plan.modelPath}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
