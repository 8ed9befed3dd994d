// Runs llama.cpp's own benchmark, llama-bench, on one set of arguments and reads its JSON lines.
import { CancelledError, HeadroomError } from '../common/errors';
import { isRecord } from '../common/isRecord';
import { cleanEnv } from './childEnv';
import { NodeProcessLauncher, type ProcessLauncher } from './processLauncher';

/** One test of a llama-bench run: a prompt of nPrompt tokens or a generation of nGen, with tokens/s per repetition. */
export interface BenchTest {
  nPrompt: number;
  nGen: number;
  /** Tokens per second of each repetition, in order. */
  samplesTs: number[];
}

export interface BenchRun {
  prompt: number[];
  generation: number[];
}

export interface LlamaBenchOptions {
  /** Tokens of the prompt test and of the generation test. */
  promptTokens: number;
  genTokens: number;
  repetitions: number;
  /** Extra environment (GGML_VK_VISIBLE_DEVICES for lavapipe); LLAMA_* are stripped as for every llama.cpp child. */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Kills a run that takes longer (BenchTimeoutError); none: no limit. */
  timeoutMs?: number;
  launcher?: ProcessLauncher;
  /** Told the pid once it runs (the tests check a cancelled run leaves no process). */
  onStarted?: (pid: number) => void;
}

export class LlamaBenchError extends HeadroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'Run the same llama-bench command in a terminal to see why; HEADROOM_VERBOSE shows its output.', options);
    this.name = 'LlamaBenchError';
  }
}

/** A run killed for taking longer than it was given (a tuning budget ending mid-run). */
export class BenchTimeoutError extends HeadroomError {
  constructor(seconds: number) {
    super(`llama-bench took longer than the ${seconds.toFixed(0)} s left and was stopped.`);
    this.name = 'BenchTimeoutError';
  }
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The tests in llama-bench's `-o jsonl` output; lines that are not results are skipped. */
export function parseBenchJsonl(stdout: string): BenchTest[] {
  const tests: BenchTest[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isRecord(value)) continue;
    const nPrompt = num(value.n_prompt);
    const nGen = num(value.n_gen);
    const samples = Array.isArray(value.samples_ts) ? value.samples_ts.map(num).filter((v): v is number => v !== undefined) : [];
    if (nPrompt === undefined || nGen === undefined || samples.length === 0) continue;
    tests.push({ nPrompt, nGen, samplesTs: samples });
  }
  return tests;
}

/** The arguments of one run: the tuning arguments, then the test sizes and the JSON output. */
export function llamaBenchArgs(modelPath: string, tuning: readonly string[], options: Pick<LlamaBenchOptions, 'promptTokens' | 'genTokens' | 'repetitions'>): string[] {
  return [
    '-m', modelPath, ...tuning,
    '-p', String(options.promptTokens), '-n', String(options.genTokens), '-r', String(options.repetitions),
    '-o', 'jsonl',
  ];
}

/**
 * Runs llama-bench once: prompt and generation tokens/s per repetition. An abort kills it (its whole process group)
 * and rejects with CancelledError.
 */
export async function runLlamaBench(bench: string, modelPath: string, tuning: readonly string[], options: LlamaBenchOptions): Promise<BenchRun> {
  if (options.signal?.aborted) throw new CancelledError('Tuning was cancelled.');
  const args = llamaBenchArgs(modelPath, tuning, options);
  const launcher = options.launcher ?? new NodeProcessLauncher();
  const proc = await launcher.launch(bench, args, { env: cleanEnv({ ...process.env, ...options.env }) });
  options.onStarted?.(proc.pid);
  const out: string[] = [];
  const err: string[] = [];
  proc.onStdoutLine((l) => out.push(l));
  proc.onStderrLine((l) => {
    err.push(l);
    if (err.length > 40) err.shift();
  });
  const abort = (): void => proc.kill('SIGKILL');
  options.signal?.addEventListener('abort', abort, { once: true });
  let timedOut = false;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    abort();
  }, Math.max(0, options.timeoutMs));
  try {
    const exit = await proc.exited;
    if (options.signal?.aborted) throw new CancelledError('Tuning was cancelled.');
    if (timedOut) throw new BenchTimeoutError((options.timeoutMs ?? 0) / 1000);
    if (exit.code !== 0) {
      throw new LlamaBenchError(`llama-bench ${tuning.join(' ')} failed (${exit.signal ?? `exit code ${exit.code}`}): ${err.slice(-3).join(' ').trim()}`);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
  }
  const tests = parseBenchJsonl(out.join('\n'));
  const prompt = tests.filter((t) => t.nPrompt > 0 && t.nGen === 0).flatMap((t) => t.samplesTs);
  const generation = tests.filter((t) => t.nGen > 0 && t.nPrompt === 0).flatMap((t) => t.samplesTs);
  if (prompt.length === 0 && generation.length === 0) throw new LlamaBenchError(`llama-bench ${tuning.join(' ')} printed no results.`);
  return { prompt, generation };
}
