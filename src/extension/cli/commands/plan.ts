import { planJson } from '../../present/planJson';
import { renderPlanText } from '../../present/planText';
import { EXIT, UsageError, type ExitCode } from '../exitCodes';
import { withModelHeader } from '../modelArgument';
import type { CliOptions } from '../options';
import { CliProgress } from '../progress';
import { cliRunner } from '../runModel';

/**
 * `headroom plan MODEL|URL|hf:owner/repo/file.gguf [--ctx N] [--vram MiB[,MiB...]] [--json]`: a remote model is
 * planned from its header alone. Exit code 3 when the plan does not fit.
 */
export async function runPlan(options: CliOptions): Promise<ExitCode> {
  const model = options.model;
  if (!model) throw new UsageError('MODEL is missing: headroom plan MODEL [--ctx N] [--vram MiB[,MiB...]] [--rpc host:port,...] [--json]');
  if (options.vram && options.rpcWorkers.length > 0) throw new UsageError('--vram and --rpc do not go together: RPC workers are planned by a dry run on the real workers, simulated GPUs by an estimate.');
  const progress = new CliProgress();
  const runner = cliRunner(options, progress);
  try {
    const report = await withModelHeader(model, (modelPath) =>
      runner.planOnly({ modelPath, wishes: options.wishes, simulatedVramMiB: options.vram, port: options.port, rpcWorkers: options.rpcWorkers }),
    ).finally(() => progress.done());
    process.stdout.write(options.json ? `${JSON.stringify(planJson(report), null, 2)}\n` : `${renderPlanText(report, { color: process.stdout.isTTY })}\n`);
    return report.plan.fits ? EXIT.ok : EXIT.doesNotFit;
  } finally {
    runner.dispose();
  }
}
