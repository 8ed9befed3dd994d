import { renderTuneText, tuneTable } from '../../present/tuneTable';
import { CancelledError } from '../../common/errors';
import { EXIT, InterruptedError, UsageError, type ExitCode } from '../exitCodes';
import { watchInterrupts } from '../interrupts';
import type { CliOptions } from '../options';
import { CliProgress } from '../progress';
import { cliRunner } from '../runModel';

/**
 * `headroom tune MODEL [--budget SECONDS] [--goal generation|prompt] [--json]`: measures llama.cpp's defaults, the plan
 * and settings around it with llama-bench, prints what was tried, and remembers the fastest for the next start.
 */
export async function runTune(options: CliOptions): Promise<ExitCode> {
  const model = options.model;
  if (!model) throw new UsageError('MODEL is missing: headroom tune MODEL [--budget SECONDS] [--goal generation|prompt] [--json]');
  const progress = new CliProgress();
  const runner = cliRunner(options, progress);
  const abort = new AbortController();
  const interrupts = watchInterrupts();
  let signal: string | undefined;
  void interrupts.received.then((s) => {
    signal = s;
    abort.abort();
  });
  try {
    const report = await runner
      .tune({
        modelPath: model,
        wishes: options.wishes,
        goal: options.goal,
        budgetSeconds: options.budgetSeconds,
        signal: abort.signal,
        onProgress: (p) => progress.update(p.percent, `${p.message} (at most ${p.etaSeconds} s left)`),
      })
      .finally(() => progress.done())
      .catch((err: unknown) => {
        if (err instanceof CancelledError && (signal === 'SIGINT' || signal === 'SIGTERM')) throw new InterruptedError(signal, 'tuning cancelled; nothing was remembered.', { cause: err });
        throw err;
      });
    const table = tuneTable(report);
    process.stdout.write(options.json ? `${JSON.stringify(table, null, 2)}\n` : `${renderTuneText(table)}\n`);
    return EXIT.ok;
  } finally {
    interrupts.dispose();
    runner.dispose();
  }
}
