// A tuning run of one model on this machine: the plan, the candidates around it, the rounds of llama-bench, and the
// winner remembered for the next start.
import { HeadroomError } from '../../common/errors';
import type { GgufHeader } from '../../gguf/header';
import { runLlamaBench } from '../../llama/llamaBench';
import type { ResolvedBinary } from '../../llama/supervisor';
import type { HardwareFacts } from '../../memory/hardware';
import { modelShape } from '../../memory/modelShape';
import type { PlanReport } from '../../memory/planReport';
import type { MeasuredSettings, PlanWishes } from '../../memory/planTypes';
import { exactPlan } from '../exactPlan';
import { tuneCandidates } from './tuneCandidates';
import { describeSettings } from './tuneSettings';
import { hardwareFingerprint, modelIdentity, type RememberedTuning, type TuneStore } from './tuneStore';
import { runTuning, samplesFor, summarize, type TuneGoal, type TuneOutcome, type TuneProgress } from './tuner';

export interface TuneRequest {
  modelPath: string;
  wishes: PlanWishes;
  goal: TuneGoal;
  budgetSeconds: number;
  signal?: AbortSignal;
  onProgress?: (p: TuneProgress) => void;
  /** Test sizes of each llama-bench run (defaults 256 and 32 tokens) and repetitions per run (default 3). */
  promptTokens?: number;
  genTokens?: number;
  repetitions?: number;
}

export interface TuneReport {
  outcome: TuneOutcome;
  /** Candidates left out because they would not fit. */
  skipped: string[];
  /** The plan the candidates were made around. */
  plan: PlanReport;
  remembered: RememberedTuning;
  /** Where it is remembered. */
  file: string;
}

const DEFAULT_PROMPT_TOKENS = 256;
const DEFAULT_GEN_TOKENS = 32;

const fmt = (tps: number): string => (tps >= 100 ? tps.toFixed(0) : tps.toFixed(1));

/** "2 threads, -ub 256, ...: 12.3 tokens/s generation, llama.cpp's defaults 10.1 (medians of 9 and 6 runs)". */
export function summaryOf(o: TuneOutcome): string {
  const w = summarize(samplesFor(o.winner, o.goal));
  const d = summarize(samplesFor(o.defaults, o.goal));
  const what = o.winner.candidate.isDefault ? `llama.cpp's defaults (${describeSettings(o.winner.candidate.settings)})` : describeSettings(o.winner.candidate.settings);
  if (o.winner === o.defaults) return `${what}: ${fmt(w.median)} tokens/s ${o.goal} (median of ${w.runs} runs)`;
  return `${what}: ${fmt(w.median)} tokens/s ${o.goal}, llama.cpp's defaults ${fmt(d.median)} (medians of ${w.runs} and ${d.runs} runs)`;
}

export interface TuneContext {
  binary: ResolvedBinary;
  header: GgufHeader;
  hardware: HardwareFacts;
  store: TuneStore;
}

/** Tunes `request.modelPath` with the build's llama-bench and remembers the winner in `ctx.store`. */
export async function tuneModel(request: TuneRequest, ctx: TuneContext): Promise<TuneReport> {
  const bench = ctx.binary.bench;
  if (!bench) {
    throw new HeadroomError(
      `There is no llama-bench beside ${ctx.binary.path}, so nothing can be measured.`,
      'Use a llama.cpp build that has llama-bench (Headroom\'s own build has it: run "headroom build"), or build the llama-bench target of yours.',
    );
  }
  const { measured: _remembered, ...wishes } = request.wishes;
  const report = await exactPlan({ modelPath: request.modelPath, header: ctx.header, hardware: ctx.hardware, wishes, fitParams: ctx.binary.fitParams, binary: ctx.binary.path });
  const promptTokens = request.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const { candidates, skipped } = tuneCandidates({
    shape: modelShape(ctx.header), hardware: ctx.hardware, wishes, base: report.plan, llamaCppFit: report.llamaCppFit, goal: request.goal, promptTokens,
  });
  const outcome = await runTuning({
    candidates,
    goal: request.goal,
    budgetSeconds: request.budgetSeconds,
    signal: request.signal,
    onProgress: request.onProgress,
    repetitions: request.repetitions,
    measure: (c, repetitions, signal, timeoutMs) =>
      runLlamaBench(bench, request.modelPath, c.benchArgs, { promptTokens, genTokens: request.genTokens ?? DEFAULT_GEN_TOKENS, repetitions, signal, timeoutMs }),
  });
  const settings: MeasuredSettings = { ...outcome.winner.candidate.settings, summary: summaryOf(outcome) };
  const remembered: RememberedTuning = {
    model: await modelIdentity(request.modelPath),
    hardware: hardwareFingerprint(ctx.hardware, ctx.binary.version ?? 'unknown'),
    goal: request.goal,
    settings,
    tunedAt: new Date().toISOString(),
  };
  await ctx.store.save(remembered);
  return { outcome, skipped, plan: report, remembered, file: ctx.store.file };
}
