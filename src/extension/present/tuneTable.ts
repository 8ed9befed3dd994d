// What a tuning run tried, as rows: the CLI's text table and JSON, and the plan panel, show the same rows.
import type { TuningView } from '../../webview/protocol/plan';
import type { TuneReport } from '../runner/tuning/tuneModel';
import { describeSettings } from '../runner/tuning/tuneSettings';
import { summarize, type TrialSummary } from '../runner/tuning/tuner';

export interface TuneRow {
  label: string;
  settings: string;
  isDefault: boolean;
  isWinner: boolean;
  prompt: TrialSummary;
  generation: TrialSummary;
}

export interface TuneTable {
  modelPath: string;
  goal: string;
  rows: TuneRow[];
  winner: string;
  summary: string;
  stoppedBy: string;
  seconds: number;
  skipped: string[];
  rememberedIn: string;
}

export function tuneTable(r: TuneReport): TuneTable {
  const o = r.outcome;
  const rows = o.trials
    .map((t) => ({
      label: t.candidate.label,
      settings: describeSettings(t.candidate.settings),
      isDefault: t.candidate.isDefault,
      isWinner: t === o.winner,
      prompt: summarize(t.prompt),
      generation: summarize(t.generation),
    }))
    .sort((a, b) => (o.goal === 'prompt' ? b.prompt.median - a.prompt.median : b.generation.median - a.generation.median));
  return {
    modelPath: r.remembered.model.path,
    goal: o.goal,
    rows,
    winner: o.winner.candidate.label,
    summary: r.remembered.settings.summary,
    stoppedBy: o.stoppedBy,
    seconds: Math.round(o.seconds * 10) / 10,
    skipped: [...r.skipped, ...o.failures.map((f) => `${f} (llama-bench failed)`)],
    rememberedIn: r.file,
  };
}

const STOPPED: Record<string, string> = {
  separated: "the winner's confidence interval separated from every other",
  tie: 'the leaders stayed within the noise of each other (the best median wins)',
  budget: 'the time budget ended',
};

/** The plan panel's view of a tuning run. */
export function tuningView(t: TuneTable): TuningView {
  return {
    goal: t.goal,
    summary: t.summary,
    stopped: `Stopped after ${t.seconds} s: ${STOPPED[t.stoppedBy] ?? t.stoppedBy}.`,
    rows: t.rows.map((r) => ({ label: r.label, settings: r.settings, isDefault: r.isDefault, isWinner: r.isWinner, prompt: cell(r.prompt), generation: cell(r.generation) })),
  };
}

const f = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '-');
const cell = (s: TrialSummary): string => (s.runs === 0 ? '-' : `${f(s.median)} [${f(s.interval.low)}-${f(s.interval.high)}] n=${s.runs}`);

/** A plain text table: one line per candidate, fastest for the goal first, the winner marked. */
export function renderTuneText(t: TuneTable): string {
  const head = ['', 'candidate', 'settings', 'prompt t/s median [95% CI]', 'generation t/s median [95% CI]'];
  const body = t.rows.map((r) => [r.isWinner ? '*' : '', r.label, r.settings, cell(r.prompt), cell(r.generation)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), ...body.map(line), ''];
  out.push(`Fastest for ${t.goal}: ${t.summary}.`);
  out.push(tuningView(t).stopped);
  for (const s of t.skipped) out.push(`Not tried: ${s}`);
  out.push(`Remembered in ${t.rememberedIn}; the next start of this model uses it.`);
  return out.join('\n');
}
