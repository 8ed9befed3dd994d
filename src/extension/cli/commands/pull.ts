// `headroom pull hf:owner/repo[:QUANT|/FILE] | URL [--dir DIR]`: the same download the extension uses.
// Environment: HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) for private repos, HF_ENDPOINT for a mirror.
import { errorMessage } from '../../common/errors';
import { SystemHardwareProbe } from '../../memory/hardware';
import { defaultDownloadFolder } from '../../models/defaults';
import { describeVerification } from '../../models/downloadChecks';
import { formatBytes, formatDuration } from '../../models/format';
import type { HfConfig } from '../../models/hfApi';
import type { DownloadProgress } from '../../models/progress';
import { planPull, runPull as download, type PullPlan } from '../../models/pull';
import { adviseQuants, judgeRemoteModels } from '../../models/remoteVerdicts';
import { planVerdict } from '../../models/planVerdict';
import type { RemoteModel } from '../../models/remoteModels';
import { EXIT, InterruptedError, UsageError, type ExitCode, type InterruptSignal } from '../exitCodes';
import { watchInterrupts } from '../interrupts';
import { hfConfigFromEnv } from '../modelArgument';
import type { CliOptions } from '../options';
import { say } from '../say';

function progressLine(p: DownloadProgress): string {
  const of = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : '';
  const eta = p.etaSeconds !== undefined ? ` · ${formatDuration(p.etaSeconds)} left` : '';
  return `${p.file}: ${formatBytes(p.receivedBytes)}${of} · ${formatBytes(p.bytesPerSecond)}/s${eta}`;
}

/** A bare repo names no file: list its models, best for this machine first, and pick none. */
async function listChoices(models: RemoteModel[], hf: HfConfig, signal: AbortSignal): Promise<undefined> {
  const hardware = await new SystemHardwareProbe().sample();
  const judged = await judgeRemoteModels(models, hardware, planVerdict, hf, signal);
  say(`${models[0]!.repo}: name one of these (best for this machine first):`); // planPull asks only with models found
  for (const j of judged) {
    const what = j.summary ? `${j.summary.architecture} · ${j.summary.quant ?? j.model.quant ?? '?'}` : (j.model.quant ?? '?');
    const tag = j.model.quant ? `hf:${j.model.repo}:${j.model.quant}` : `hf:${j.model.repo}/${j.model.files[0]!.path}`; // groupGgufFiles gives every model at least one file
    say(`  ${tag}\n    ${what} · ${formatBytes(j.model.sizeBytes)} · ${j.verdict.text}${j.model.projector ? ' · projector' : ''}`);
  }
  const advice = adviseQuants(judged, hardware);
  if (advice?.recommended) say(`Recommended: ${advice.recommended.label}. ${advice.why}`);
  return undefined;
}

async function downloadWithProgress(plan: PullPlan, folder: string, hf: HfConfig, signal: AbortSignal): Promise<void> {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  let drawn = false;
  const files = await download(plan, {
    folder,
    hf,
    signal,
    onRetry: (why) => say(`${tty ? '\r\x1b[K' : ''}trying again: ${why}`),
    onProgress: (p) => {
      if (tty) {
        drawn = true;
        process.stderr.write(`\r${progressLine(p)}\x1b[K`);
      } else if (performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        say(progressLine(p));
      }
    },
  }).finally(() => {
    if (drawn) process.stderr.write('\n'); // a failure's message starts on a line of its own
  });
  for (const f of files) say(`${f.alreadyPresent ? 'already here' : `downloaded (${describeVerification(f.verified)})`}: ${f.path} (${formatBytes(f.size)})`);
}

/**
 * Prints the model's path on stdout once it is here; exit code 2 when the ref named a repo but no model in it, 130 when
 * Ctrl+C cut the download short (what arrived is kept, and the next pull resumes it).
 */
export async function runPull(options: CliOptions, env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  const ref = options.model;
  if (!ref) throw new UsageError('MODEL is missing: headroom pull hf:owner/repo[:QUANT | /file.gguf] | URL [--dir DIR]');
  const folder = options.dir ?? defaultDownloadFolder(env);
  const hf = hfConfigFromEnv(env);
  const abort = new AbortController();
  const interrupts = watchInterrupts();
  let interrupted: InterruptSignal | undefined;
  void interrupts.received.then((signal) => {
    interrupted = signal;
    abort.abort();
  });
  try {
    const plan = await planPull(ref, { folder, hf, signal: abort.signal }, (models) => listChoices(models, hf, abort.signal));
    if (!plan) return EXIT.usage;
    await downloadWithProgress(plan, folder, hf, abort.signal);
    process.stdout.write(`${plan.modelPath}\n`);
    return EXIT.ok;
  } catch (err) {
    if (interrupted) throw new InterruptedError(interrupted, errorMessage(err), { cause: err });
    throw err;
  } finally {
    interrupts.dispose();
  }
}
