// The tuner's pure parts: candidates within the memory plan, the arguments they map to, the statistics and the
// stopping rule, and the remembered winner (its invalidation, and the plan that applies it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../../src/extension/common/errors';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';
import { BenchTimeoutError, LlamaBenchError, parseBenchJsonl, llamaBenchArgs } from '../../src/extension/llama/llamaBench';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { modelShape, type ModelShape } from '../../src/extension/memory/modelShape';
import { plan } from '../../src/extension/memory/plan';
import { tuneCandidates } from '../../src/extension/runner/tuning/tuneCandidates';
import { benchArgsOf, wishesOf, type TuneCandidate } from '../../src/extension/runner/tuning/tuneSettings';
import { decide, median, medianInterval } from '../../src/extension/runner/tuning/tuneStats';
import { hardwareFingerprint, modelIdentity, TuneStore, type RememberedTuning } from '../../src/extension/runner/tuning/tuneStore';
import { runTuning, type TunerOptions } from '../../src/extension/runner/tuning/tuner';
import { itemAt } from '../fixtures/itemAt';

const cpuOnly: HardwareFacts = { gpus: [], ramTotalMiB: 24 * 1024, ramAvailableMiB: 16 * 1024, physicalCores: 2, logicalCores: 4 };
/** lavapipe's 2 GiB, as llama.cpp lists it. */
const smallGpu: HardwareFacts = { ...cpuOnly, gpus: [{ index: 0, name: 'llvmpipe', totalMiB: 2048, freeMiB: 2048, usedMiB: 0, source: 'llama.cpp' }] };

const shapeOf = async (preset: 'llama3-8b' | 'small-llama' | 'qwen3-30b-a3b'): Promise<ModelShape> => modelShape(await sparseHeader(preset, 'Q4_K_M'));

test('candidates on a CPU: llama.cpp defaults first (no tuning flags), the plan, threads 1..cores and with hyper-threads, -ub, flash attention, KV type', async () => {
  const shape = await shapeOf('small-llama');
  const base = plan(shape, cpuOnly, {});
  const { candidates, skipped } = tuneCandidates({ shape, hardware: cpuOnly, wishes: {}, base, goal: 'prompt', promptTokens: 512 });
  const first = itemAt(candidates, 0);
  assert.equal(first.isDefault, true);
  assert.deepEqual(first.benchArgs, []);
  assert.deepEqual(candidates.map((c) => c.label), ["llama.cpp's defaults", 'plan', '1 thread', '4 threads', '-ub 64', '-ub 128', '-ub 256', 'flash attention off', 'KV q8_0']);
  const forGeneration = tuneCandidates({ shape, hardware: cpuOnly, wishes: {}, base, goal: 'generation', promptTokens: 512 }).candidates;
  assert.ok(!forGeneration.some((c) => c.label.startsWith('-ub')), '-ub changes only prompt processing');
  assert.deepEqual(skipped, []);
  assert.equal(candidates.filter((c) => c.isDefault).length, 1);
  const keys = candidates.map((c) => c.benchArgs.join(' '));
  assert.equal(new Set(keys).size, keys.length, 'no candidate twice');
  assert.deepEqual(itemAt(candidates, 1).benchArgs, ['-t', '2', '-b', '2048', '-ub', '512', '-fa', String(base.flashAttn ? 1 : 0), '-ctk', 'f16', '-ctv', 'f16']);
});

test('candidates on a 2 GiB GPU: the defaults run with the layers llama.cpp fitted, and every other candidate fits its memory plan', async () => {
  const shape = await shapeOf('llama3-8b');
  const base = plan(shape, smallGpu, {});
  assert.ok(base.gpuLayers.onGpu > 0 && base.gpuLayers.onGpu < base.gpuLayers.total, `a partial offload (${base.gpuLayers.onGpu})`);
  const fit = { contextSize: 8192, gpuLayers: base.gpuLayers.onGpu - 1, args: [] };
  const { candidates, skipped } = tuneCandidates({ shape, hardware: smallGpu, wishes: {}, base, llamaCppFit: fit });
  assert.deepEqual(itemAt(candidates, 0).benchArgs, ['-ngl', String(fit.gpuLayers)]);
  for (const c of candidates.slice(1)) {
    const p = plan(shape, smallGpu, wishesOf(c.settings));
    assert.ok(p.fits, `${c.label} fits`);
    assert.ok((c.settings.gpuLayers ?? 0) <= base.gpuLayers.onGpu, `${c.label}: no more layers than the fit point`);
    assert.ok(c.benchArgs.includes('-ngl'), `${c.label} says its layers (llama-bench would put all on the GPU)`);
  }
  assert.ok(candidates.some((c) => c.label === `-ngl ${base.gpuLayers.onGpu - 1}`));
  // The plan sits at the fit point: a larger compute buffer there does not fit, and is not tried.
  assert.ok(skipped.some((s) => s.startsWith('-ub 1024')), skipped.join(' | '));
});

test('candidates of a MoE model on a GPU: the experts of one or two more layers in RAM', async () => {
  const shape = await shapeOf('qwen3-30b-a3b');
  const gpu = { ...smallGpu, gpus: [{ ...itemAt(smallGpu.gpus, 0), totalMiB: 12288, freeMiB: 12288 }], ramAvailableMiB: 40 * 1024 };
  const base = plan(shape, gpu, {});
  const { candidates } = tuneCandidates({ shape, hardware: gpu, wishes: {}, base });
  const moe = candidates.filter((c) => c.label.startsWith('--n-cpu-moe'));
  assert.ok(moe.length > 0);
  for (const c of moe) assert.ok(c.benchArgs.includes('-ncmoe'));
});

test('settings map to llama-bench arguments and to the same llama-server arguments through the plan', async () => {
  const s = { threads: 1, batch: 1024, ubatch: 256, flashAttn: false, cacheType: 'f16' as const };
  assert.deepEqual(benchArgsOf(s), ['-t', '1', '-b', '1024', '-ub', '256', '-fa', '0', '-ctk', 'f16', '-ctv', 'f16']);
  assert.deepEqual(benchArgsOf({ gpuLayers: 20, cpuMoeLayers: 3 }), ['-ngl', '20', '-ncmoe', '3']);
  assert.deepEqual(llamaBenchArgs('/m.gguf', ['-t', '1'], { promptTokens: 32, genTokens: 16, repetitions: 3 }), ['-m', '/m.gguf', '-t', '1', '-p', '32', '-n', '16', '-r', '3', '-o', 'jsonl']);
  const shape = await shapeOf('small-llama');
  const p = plan(shape, cpuOnly, { measured: { ...s, summary: '1 thread: 20 tokens/s generation' } });
  const at = (flag: string): string | undefined => p.args[p.args.indexOf(flag) + 1];
  assert.equal(at('-t'), '1');
  assert.equal(at('-b'), '1024');
  assert.equal(at('-ub'), '256');
  assert.equal(at('-fa'), 'off');
  assert.ok(p.reasons.includes('1 threads, measured fastest.'), p.reasons.join(' | '));
  assert.ok(p.reasons.includes('Flash attention off, measured fastest.'), p.reasons.join(' | '));
  assert.ok(p.reasons.includes('Measured fastest on this machine (headroom tune): 1 thread: 20 tokens/s generation.'));
});

test('what the user set wins over what was measured, and the reasons say which is which', async () => {
  const shape = await shapeOf('small-llama');
  const p = plan(shape, cpuOnly, { threads: 2, measured: { threads: 1, ubatch: 256, summary: 'x' } });
  assert.equal(p.threads, 2);
  assert.equal(p.ubatch, 256);
  assert.ok(p.reasons.includes('2 threads, as set.'));
});

test('remembered settings that no longer fit are left out, and the plan says so', async () => {
  const shape = await shapeOf('llama3-8b');
  const p = plan(shape, smallGpu, { measured: { gpuLayers: 33, summary: 'all layers' } });
  assert.ok(p.fits);
  assert.ok(p.gpuLayers.onGpu < 33);
  assert.ok(p.reasons.some((r) => r.startsWith('The settings measured fastest (all layers) do not fit')));
});

test('llama-bench JSON lines: prompt and generation tests with their samples; other lines skipped', () => {
  const line = (nPrompt: number, nGen: number, samples: number[]): string =>
    JSON.stringify({ build_commit: '80fb11a', n_threads: 2, n_prompt: nPrompt, n_gen: nGen, avg_ts: 1, samples_ts: samples });
  const tests = parseBenchJsonl(['garbage', line(32, 0, [100, 110]), '{not json', line(0, 16, [20.5, 21]), '{"n_prompt": 1}'].join('\n'));
  assert.deepEqual(tests, [
    { nPrompt: 32, nGen: 0, samplesTs: [100, 110] },
    { nPrompt: 0, nGen: 16, samplesTs: [20.5, 21] },
  ]);
});

test('the median and its distribution-free interval: [min, max] below 6 samples, order statistics above', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(medianInterval([5, 1, 9, 3, 7]), { low: 1, high: 9 });
  const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
  const ci = medianInterval(twenty);
  // Binomial(20, 1/2): P(X <= 5) = 0.0207 <= 0.025 < P(X <= 6): six samples cut from each end.
  assert.deepEqual(ci, { low: 7, high: 14 });
  // One wild repetition moves the interval by a rank, not by its size.
  assert.deepEqual(medianInterval([...twenty.slice(0, 19), 1e9]), ci);
});

test('the stopping rule: stop when the leader is clear of every other, halve a crowd, stop on a tie at the cap', () => {
  const r = (id: number, m: number, low: number, high: number) => ({ id, median: m, interval: { low, high } });
  assert.deepEqual(decide([r(0, 10, 9, 11), r(1, 20, 19, 21)], () => 3, 15), { stop: true, reason: 'separated' });
  assert.deepEqual(decide([r(0, 10, 9, 19.5), r(1, 20, 19, 21), r(2, 5, 4, 6)], () => 3, 15), { stop: false, next: [1, 0] });
  const crowd = [0, 1, 2, 3, 4, 5].map((i) => r(i, 10 + i, 5, 30));
  assert.deepEqual(decide(crowd, () => 3, 15), { stop: false, next: [5, 4, 3] });
  assert.deepEqual(decide([r(0, 10, 9, 19.5), r(1, 20, 19, 21)], () => 15, 15), { stop: true, reason: 'tie' });
});

const candidate = (label: string, isDefault = false): TuneCandidate => ({ label, settings: {}, benchArgs: [label], isDefault });

/** Scripted tokens/s per candidate (the real llama-bench runs in test/integration/tune.test.ts); a clock that runs 1 s per run. */
function scripted(speeds: Record<string, number[]>, extra: Partial<TunerOptions> = {}): TunerOptions & { calls: string[] } {
  let clock = 0;
  const calls: string[] = [];
  return {
    calls,
    candidates: Object.keys(speeds).map((k, i) => candidate(k, i === 0)),
    goal: 'generation',
    budgetSeconds: 100,
    now: () => clock,
    measure: (c, reps) => {
      calls.push(c.label);
      clock += 1000;
      const s = speeds[c.label] ?? [];
      const generation = Array.from({ length: reps }, (_, i) => s[(calls.filter((l) => l === c.label).length * reps + i) % s.length] ?? 0);
      return Promise.resolve({ prompt: generation.map((g) => g * 10), generation });
    },
    ...extra,
  };
}

test('the loop: rounds until the winner separates; the winner is never slower than the defaults', async () => {
  const o = scripted({ defaults: [10, 11, 10.5], fast: [20, 21, 19], slow: [5, 6, 5.5], close: [10, 12, 11] });
  const out = await runTuning(o);
  assert.equal(out.winner.candidate.label, 'fast');
  assert.equal(out.stoppedBy, 'separated');
  assert.equal(out.defaults.candidate.label, 'defaults');
  assert.ok(median(out.winner.generation) >= median(out.defaults.generation));
  assert.deepEqual(o.calls, ['defaults', 'fast', 'slow', 'close']);
});

test('the loop: a budget too small for anything still measures the defaults, which then win', async () => {
  const o = scripted({ defaults: [10], other: [20] }, { budgetSeconds: 0.5 });
  const out = await runTuning(o);
  assert.equal(out.stoppedBy, 'budget');
  assert.deepEqual(o.calls, ['defaults']);
  assert.equal(out.winner, out.defaults);
});

test('the loop: overlapping candidates get more rounds until the cap; progress ends at 100%', async () => {
  const percents: number[] = [];
  const o = scripted({ defaults: [10, 12, 9, 11], same: [10, 11, 12, 9] }, { maxSamples: 9, onProgress: (p) => percents.push(p.percent) });
  const out = await runTuning(o);
  assert.equal(out.stoppedBy, 'tie');
  assert.equal(out.trials.every((t) => t.generation.length === 9), true);
  assert.equal(percents.at(-1), 100);
  assert.ok(percents.every((p) => p >= 0 && p <= 100));
});

test('the loop: a run past the rest of the budget is stopped and ends the tuning with what was measured', async () => {
  const o = scripted({ defaults: [10], slow: [20], never: [30] }, { budgetSeconds: 2.5 });
  const given: Array<number | undefined> = [];
  const out = await runTuning({
    ...o,
    measure: (c, r, s, t) => {
      given.push(t);
      return c.label === 'slow' ? Promise.reject(new BenchTimeoutError(1.5)) : o.measure(c, r, s, t);
    },
  });
  assert.deepEqual(given, [undefined, 1500], 'the defaults unbounded, then what is left of the budget');
  assert.equal(out.stoppedBy, 'budget');
  assert.equal(out.winner, out.defaults);
});

test('the loop: a candidate llama-bench fails on is left out and said; the defaults failing fails the run', async () => {
  const o = scripted({ defaults: [10], refused: [20], other: [15] });
  const out = await runTuning({ ...o, measure: (c, r, s, t) => (c.label === 'refused' ? Promise.reject(new LlamaBenchError('llama-bench -ctk q8_0 failed')) : o.measure(c, r, s, t)) });
  assert.equal(out.winner.candidate.label, 'other');
  assert.deepEqual(out.failures, ['refused: llama-bench -ctk q8_0 failed']);
  assert.equal(o.calls.includes('refused'), false);
  await assert.rejects(runTuning({ ...o, measure: () => Promise.reject(new LlamaBenchError('no model')) }), LlamaBenchError);
});

test('the loop: an abort rejects with CancelledError', async () => {
  const abort = new AbortController();
  const o = scripted({ defaults: [10], other: [20] });
  const out = runTuning({ ...o, signal: abort.signal, measure: (c, r, s, t) => (abort.abort(), o.measure(c, r, s, t)) });
  await assert.rejects(out, CancelledError);
});

test('the remembered winner: found for the same file and machine; a changed file, machine or build makes it stale', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-tune-'));
  try {
    const model = join(dir, 'm.gguf');
    writeFileSync(model, 'x'.repeat(100));
    const store = new TuneStore(dir);
    const fp = hardwareFingerprint(cpuOnly, '0.4.0 (build 1, commit 80fb11a)', 'Test CPU');
    const entry: RememberedTuning = { model: await modelIdentity(model), hardware: fp, goal: 'generation', settings: { threads: 1, summary: 's' }, tunedAt: 'now' };
    assert.equal(await store.lookup(model, fp), undefined, 'nothing before a tuning');
    await store.save(entry);
    assert.deepEqual((await store.lookup(model, fp))?.settings, { threads: 1, summary: 's' });
    assert.equal(await store.lookup(model, hardwareFingerprint(cpuOnly, '0.4.1 (build 2, commit 0000000)', 'Test CPU')), undefined, 'another build');
    assert.equal(await store.lookup(model, hardwareFingerprint({ ...cpuOnly, physicalCores: 4 }, '0.4.0 (build 1, commit 80fb11a)', 'Test CPU')), undefined, 'other hardware');
    assert.equal(await store.lookup(model, hardwareFingerprint(smallGpu, '0.4.0 (build 1, commit 80fb11a)', 'Test CPU')), undefined, 'a GPU now');
    utimesSync(model, new Date(), new Date(Date.now() + 5000));
    assert.equal(await store.lookup(model, fp), undefined, 'the file was touched');
    await store.save({ ...entry, model: await modelIdentity(model) });
    appendFileSync(model, 'y');
    assert.equal(await store.lookup(model, fp), undefined, 'the file grew');
    assert.equal((await store.entries()).length, 1, 'one entry per model and machine');
    writeFileSync(store.file, '{ not json');
    assert.deepEqual(await store.entries(), [], 'an unreadable file is an empty one');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
