// A tuning run as the CLI and the plan panel show it: the table of what was tried, fastest first, the winner marked,
// passed by the webview's guard, and shown only with the plan of the model it tuned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../src/extension/common/emitter';
import type { PlanReport } from '../../src/extension/memory/planReport';
import { PlanPanelController, type PlanSource } from '../../src/extension/present/planPanelController';
import { renderTuneText, tuneTable } from '../../src/extension/present/tuneTable';
import type { TuneReport } from '../../src/extension/runner/tuning/tuneModel';
import type { TuneCandidate } from '../../src/extension/runner/tuning/tuneSettings';
import type { Trial } from '../../src/extension/runner/tuning/tuner';
import { isPlanHostToWebview, type PlanHostToWebview } from '../../src/webview/protocol/plan';
import { cpuReport, gpuReport } from './planFixtures';

const candidate = (label: string, isDefault: boolean, threads: number): TuneCandidate => ({ label, isDefault, settings: { threads, batch: 2048, ubatch: 512 }, benchArgs: isDefault ? [] : ['-t', String(threads)] });
const trial = (c: TuneCandidate, generation: number[]): Trial => ({ candidate: c, prompt: generation.map((g) => g * 4), generation, seconds: 3 });

function report(modelPath: string): TuneReport {
  const defaults = trial(candidate("llama.cpp's defaults", true, 2), [10, 11, 10.5]);
  const winner = trial(candidate('1 thread', false, 1), [20, 21, 19]);
  return {
    outcome: { goal: 'generation', trials: [defaults, winner], winner, defaults, stoppedBy: 'separated', seconds: 12.34, failures: [] },
    skipped: ['-ub 1024 (...): does not fit this machine\'s memory.'],
    plan: gpuReport,
    remembered: { model: { path: modelPath, size: 1, mtimeMs: 1 }, hardware: 'hw', goal: 'generation', settings: { threads: 1, summary: '1 thread: 20.0 tokens/s generation' }, tunedAt: '' },
    file: '/cache/tuning.json',
  };
}

class Source implements PlanSource {
  plan: PlanReport | undefined = gpuReport;
  readonly onDidChangePlan = new Emitter<PlanReport | undefined>().event;
  readonly tunes = new Emitter<TuneReport>();
  readonly onDidTune = this.tunes.event;
  computePlan(): Promise<PlanReport> {
    return Promise.resolve(gpuReport);
  }
}

test('the table: fastest first, the winner and the defaults marked, medians with their intervals; the text says what won and where it is kept', () => {
  const table = tuneTable(report(gpuReport.modelPath));
  assert.deepEqual(table.rows.map((r) => [r.label, r.isWinner, r.isDefault]), [['1 thread', true, false], ["llama.cpp's defaults", false, true]]);
  assert.deepEqual(table.rows[0]?.generation, { runs: 3, median: 20, interval: { low: 19, high: 21 }, min: 19, max: 21 });
  const text = renderTuneText(table);
  assert.match(text, /^\*\s+1 thread\s+1 thread, -b 2048 -ub 512\s+80\.0 \[76\.0-84\.0\] n=3\s+20\.0 \[19\.0-21\.0\] n=3$/m);
  assert.match(text, /Fastest for generation: 1 thread: 20\.0 tokens\/s generation\./);
  assert.match(text, /Not tried: -ub 1024/);
  assert.match(text, /Remembered in \/cache\/tuning\.json/);
});

test('the plan panel shows a tuning run with the plan of the model it tuned, and passes the guard', () => {
  const source = new Source();
  const posted: PlanHostToWebview[] = [];
  const controller = new PlanPanelController(source, { copyToClipboard: () => Promise.resolve(), warn: () => undefined });
  controller.attach({ post: (m) => posted.push(m) });
  source.tunes.fire(report(cpuReport.modelPath));
  const other = controller.state();
  assert.ok(other.kind === 'plan' && other.plan.tuning === undefined, 'another model\'s tuning is not shown with this plan');
  source.tunes.fire(report(gpuReport.modelPath));
  const last = posted.at(-1);
  assert.ok(last && isPlanHostToWebview(JSON.parse(JSON.stringify(last))));
  assert.ok(last.type === 'state' && last.state.kind === 'plan');
  const tuning = last.state.plan.tuning;
  assert.ok(tuning);
  assert.equal(tuning.rows[0]?.isWinner, true);
  assert.equal(tuning.rows[0]?.generation, '20.0 [19.0-21.0] n=3');
  assert.match(tuning.stopped, /^Stopped after 12\.3 s: the winner's confidence interval separated/);
  assert.equal(isPlanHostToWebview({ type: 'state', state: { ...last.state, plan: { ...last.state.plan, tuning: { ...tuning, rows: [{ label: 1 }] } } } }), false, 'a malformed row fails the guard');
  controller.dispose();
});
