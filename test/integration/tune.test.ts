// `headroom tune` with the real llama-bench on a tiny generated model and small budgets: progress, cancel (the process
// is killed), the JSON table, and the restart: a fresh runner starts llama-server with the winning arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CancelledError } from '../../src/extension/common/errors';
import { BenchTimeoutError, runLlamaBench } from '../../src/extension/llama/llamaBench';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import type { TuneTable } from '../../src/extension/present/tuneTable';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { modelIdentity, TuneStore } from '../../src/extension/runner/tuning/tuneStore';
import type { TuneProgress } from '../../src/extension/runner/tuning/tuner';
import { runCli } from '../fixtures/cliProcess';
import { isAlive, llamaServersWith } from '../fixtures/processes';
import { realServer, tempDir, waitFor, withTinyModel } from './realServer';

const fx = withTinyModel('tune');
const SMALL = { promptTokens: 32, genTokens: 16, repetitions: 2 };

const runnerIn = (storeDir: string): ModelRunner =>
  new ModelRunner({ cacheRoot: fx.dir, sourceFrom: fx.dir, llamaServerPath: () => fx.binary, stopGraceMs: 2000 }, new SystemHardwareProbe(), new TuneStore(storeDir));

test('the build has llama-bench beside llama-server, found the way llama-fit-params is', async () => {
  const located = await realServer();
  assert.ok(located.bench?.endsWith('llama-bench'), `llama-bench found: ${located.bench}`);
});

test('cancel kills the running llama-bench and rejects with CancelledError', async () => {
  const bench = (await realServer()).bench;
  assert.ok(bench);
  const abort = new AbortController();
  let pid = 0;
  const run = runLlamaBench(bench, fx.model, [], { promptTokens: 512, genTokens: 4096, repetitions: 50, signal: abort.signal, onStarted: (p) => (pid = p) });
  await waitFor('llama-bench to run', () => pid > 0 && llamaServersWith(fx.model, 'llama-bench').includes(pid));
  abort.abort();
  await assert.rejects(run, CancelledError);
  await waitFor('llama-bench to be gone', () => !isAlive(pid), 5_000);
});

test('a run past its time is killed and rejects with BenchTimeoutError', async () => {
  const bench = (await realServer()).bench;
  assert.ok(bench);
  let pid = 0;
  const run = runLlamaBench(bench, fx.model, [], { promptTokens: 512, genTokens: 4096, repetitions: 50, timeoutMs: 1500, onStarted: (p) => (pid = p) });
  await assert.rejects(run, BenchTimeoutError);
  await waitFor('llama-bench to be gone', () => !isAlive(pid), 5_000);
});

test('tune, then a fresh runner: the plan says "measured fastest" and llama-server runs with the winning arguments', async () => {
  const store = tempDir('tune-store');
  const runner = runnerIn(store.path);
  const progress: TuneProgress[] = [];
  try {
    const report = await runner.tune({ modelPath: fx.model, wishes: { contextSize: 512 }, goal: 'generation', budgetSeconds: 12, onProgress: (p) => progress.push(p), ...SMALL });
    assert.ok(progress.length >= 2, 'progress events');
    assert.equal(progress.at(-1)?.percent, 100);
    assert.ok(progress.every((p) => p.percent >= 0 && p.percent <= 100 && p.etaSeconds >= 0 && p.etaSeconds <= 12));
    const defaults = report.outcome.trials.find((t) => t.candidate.isDefault);
    assert.ok(defaults && defaults.generation.length >= 2, 'llama.cpp\'s defaults were measured');
    assert.ok(report.outcome.trials.length >= 2, `more than the defaults were tried (${report.outcome.trials.length})`);
    const settings = report.remembered.settings;
    assert.equal(typeof settings.threads, 'number');
    runner.dispose();

    const fresh = runnerIn(store.path);
    try {
      const { server } = await fresh.start({ modelPath: fx.model, wishes: { contextSize: 512 }, port: 0, extraArgs: [] });
      const at = (flag: string): string | undefined => (server.args.includes(flag) ? server.args[server.args.indexOf(flag) + 1] : undefined);
      assert.equal(at('-t'), String(settings.threads), server.args.join(' '));
      if (settings.ubatch !== undefined && settings.ubatch !== 512) assert.equal(at('-ub'), String(settings.ubatch));
      if (settings.flashAttn !== undefined) assert.equal(at('-fa'), settings.flashAttn ? 'on' : 'off');
      if (settings.cacheType !== undefined && settings.cacheType !== 'f16') assert.equal(at('-ctk'), settings.cacheType);
      assert.ok(fresh.plan?.plan.reasons.some((r) => r.startsWith('Measured fastest on this machine (headroom tune): ')), fresh.plan?.plan.reasons.join(' | '));
    } finally {
      await fresh.stop();
      fresh.dispose();
    }
  } finally {
    runner.dispose();
    store.dispose();
  }
});

test('a remembered tuning of another build is not used', async () => {
  const store = tempDir('tune-stale');
  try {
    const tuneStore = new TuneStore(store.path);
    await tuneStore.save({ model: await modelIdentity(fx.model), hardware: 'another machine; llama.cpp 0.0.1', goal: 'generation', settings: { threads: 1, summary: 'stale' }, tunedAt: '' });
    const runner = runnerIn(store.path);
    try {
      const report = await runner.planOnly({ modelPath: fx.model, wishes: { contextSize: 512 } });
      assert.ok(!report.plan.reasons.some((r) => r.includes('measured fastest') || r.includes('Measured fastest')));
    } finally {
      runner.dispose();
    }
  } finally {
    store.dispose();
  }
});

test('headroom tune --json: the table of what was tried, the winner never slower than llama.cpp\'s defaults, remembered in the cache', async () => {
  const cache = tempDir('tune-cli');
  try {
    const run = await runCli(['tune', fx.model, '--llama-server', fx.binary, '--budget', '8', '--json', '--ctx', '512'], { ...process.env, HEADROOM_CACHE_DIR: cache.path });
    assert.equal(run.code, 0, run.stderr);
    const table = JSON.parse(run.stdout) as TuneTable;
    assert.equal(table.goal, 'generation');
    const winner = table.rows.find((r) => r.isWinner);
    const defaults = table.rows.find((r) => r.isDefault);
    assert.ok(winner && defaults);
    assert.ok(winner.generation.median >= defaults.generation.median);
    assert.ok(table.rows.every((r) => r.generation.runs > 0 && r.generation.interval.low <= r.generation.median && r.generation.median <= r.generation.interval.high));
    assert.equal(table.rememberedIn, join(cache.path, 'tuning.json'));
    assert.match(run.stderr, /%\]/, 'progress on stderr');
  } finally {
    cache.dispose();
  }
});
