// The tuning loop: measures candidates in rounds until the leader is clearly fastest or the time budget ends.
import { CancelledError } from '../../common/errors';
import { BenchTimeoutError, LlamaBenchError, type BenchRun } from '../../llama/llamaBench';
import { decide, median, medianInterval, type Interval } from './tuneStats';
import type { TuneCandidate } from './tuneSettings';

export type TuneGoal = 'generation' | 'prompt';

export interface TuneProgress {
  percent: number;
  /** Seconds left at most: the rest of the budget, or less when the rounds left take less. */
  etaSeconds: number;
  message: string;
}

/** One candidate as measured: tokens/s of every repetition, for prompt and generation. */
export interface Trial {
  candidate: TuneCandidate;
  prompt: number[];
  generation: number[];
  /** Wall time of its llama-bench runs (the model load included). */
  seconds: number;
}

export interface TrialSummary {
  runs: number;
  median: number;
  interval: Interval;
  min: number;
  max: number;
}

export type StopReason = 'separated' | 'tie' | 'budget';

export interface TuneOutcome {
  goal: TuneGoal;
  trials: Trial[];
  /** The best median for the goal over every measured candidate (llama.cpp's defaults among them). */
  winner: Trial;
  defaults: Trial;
  stoppedBy: StopReason;
  seconds: number;
  /** Candidates llama-bench failed on (a setting this backend refuses): left out of the rest of the run. */
  failures: string[];
}

export interface TunerOptions {
  /** llama.cpp's defaults first: it is always measured. */
  candidates: readonly TuneCandidate[];
  goal: TuneGoal;
  budgetSeconds: number;
  /**
   * One llama-bench run. `timeoutMs` is what is left of the budget (undefined for the first run of the defaults, which
   * is always measured); a run past it rejects with BenchTimeoutError and ends the tuning.
   */
  measure(candidate: TuneCandidate, repetitions: number, signal: AbortSignal | undefined, timeoutMs: number | undefined): Promise<BenchRun>;
  signal?: AbortSignal;
  onProgress?(p: TuneProgress): void;
  /** Repetitions per llama-bench run (default 3); a candidate stops at maxSamples (default 15). */
  repetitions?: number;
  maxSamples?: number;
  now?: () => number;
}

export const samplesFor = (t: Trial, goal: TuneGoal): number[] => (goal === 'prompt' ? t.prompt : t.generation);

export function summarize(samples: readonly number[]): TrialSummary {
  return { runs: samples.length, median: median(samples), interval: medianInterval(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

/** The measured trial with the best median for `goal`. */
export function bestFor(trials: readonly Trial[], goal: TuneGoal): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) {
    const m = median(samplesFor(t, goal));
    if (Number.isFinite(m) && (!best || m > median(samplesFor(best, goal)))) best = t;
  }
  return best;
}

/** Runs the rounds; rejects with CancelledError when the signal aborts (the running llama-bench is killed). */
export async function runTuning(o: TunerOptions): Promise<TuneOutcome> {
  const now = o.now ?? Date.now;
  const start = now();
  const budgetMs = o.budgetSeconds * 1000;
  const reps = o.repetitions ?? 3;
  const maxSamples = o.maxSamples ?? 15;
  const trials: Trial[] = o.candidates.map((candidate) => ({ candidate, prompt: [], generation: [], seconds: 0 }));
  const runs: number[] = trials.map(() => 0);
  const elapsed = (): number => now() - start;
  /** Expected ms of one run of trial i: its own average, else the average of all runs so far. */
  const expectedMs = (i: number): number => {
    const own = runs[i]! > 0 ? (trials[i]!.seconds * 1000) / runs[i]! : undefined;
    const total = runs.reduce((a, b) => a + b, 0);
    return own ?? (total > 0 ? (trials.reduce((a, t) => a + t.seconds, 0) * 1000) / total : 0);
  };
  const progress = (queue: readonly number[], message: string): void => {
    const left = budgetMs - elapsed();
    const roundsLeft = Math.ceil((maxSamples - Math.min(...queue.map((i) => samplesFor(trials[i]!, o.goal).length), maxSamples)) / reps);
    const perRound = queue.reduce((a, i) => a + expectedMs(i), 0);
    // Before the first run there is nothing to estimate from: the whole budget is the bound.
    const eta = Math.max(0, runs.some((r) => r > 0) ? Math.min(left, perRound * Math.max(1, roundsLeft)) : left);
    o.onProgress?.({ percent: (100 * elapsed()) / Math.max(1, elapsed() + eta), etaSeconds: Math.round(eta / 1000), message });
  };
  let queue = trials.map((_, i) => i);
  const failures: string[] = [];
  const failed = new Set<number>();
  let stoppedBy: StopReason = 'budget';
  rounds: for (let round = 1; ; round++) {
    for (const [n, i] of queue.entries()) {
      if (o.signal?.aborted) throw new CancelledError('Tuning was cancelled.');
      const trial = trials[i]!;
      // The defaults are measured whatever the budget; every other run only when it ends within it.
      const measuredOnce = trials[0]!.generation.length + trials[0]!.prompt.length > 0;
      if (measuredOnce && elapsed() + expectedMs(i) > budgetMs) break rounds;
      progress(queue.slice(n), `round ${round}: ${trial.candidate.label}`);
      const t0 = now();
      let run: BenchRun;
      try {
        run = await o.measure(trial.candidate, reps, o.signal, measuredOnce ? budgetMs - elapsed() : undefined);
      } catch (err) {
        if (err instanceof BenchTimeoutError) break rounds;
        // The defaults failing means nothing can be compared; another candidate failing leaves it out.
        if (!(err instanceof LlamaBenchError) || trial.candidate.isDefault) throw err;
        failures.push(`${trial.candidate.label}: ${err.message}`);
        failed.add(i);
        continue;
      }
      trial.seconds += (now() - t0) / 1000;
      runs[i]!++;
      trial.prompt.push(...run.prompt);
      trial.generation.push(...run.generation);
    }
    const ranked = trials.map((t, id) => ({ id, ...summarize(samplesFor(t, o.goal)) })).filter((r) => r.runs > 0);
    const decision = decide(ranked, (id) => samplesFor(trials[id]!, o.goal).length, maxSamples);
    if (decision.stop) {
      stoppedBy = decision.reason;
      break;
    }
    queue = decision.next.filter((i) => !failed.has(i));
    if (queue.length === 0) break;
  }
  const measured = trials.filter((t) => samplesFor(t, o.goal).length > 0);
  const defaults = trials[0]!;
  const winner = bestFor(measured, o.goal) ?? defaults;
  o.onProgress?.({ percent: 100, etaSeconds: 0, message: `fastest: ${winner.candidate.label}` });
  return { goal: o.goal, trials: measured, winner, defaults, stoppedBy, seconds: elapsed() / 1000, failures };
}
