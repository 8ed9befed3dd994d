import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStep, nextRecoveryStep, type LaunchShape, type RecoveryOverrides } from '../../src/extension/runner/recoveryLadder';
import { RecoveryPolicy, type PlannedLaunch } from '../../src/extension/runner/recovery';
import type { RecoveryStep } from '../../src/extension/runner/recoveryLadder';
import { wishesWith } from '../../src/extension/runner/exactPlan';
import { RestartPolicy } from '../../src/extension/llama/restartPolicy';
import { Supervisor, type ReadyServer } from '../../src/extension/llama/supervisor';
import type { ServerStateKind } from '../../src/extension/llama/serverState';
import { errorMessage } from '../../src/extension/common/errors';
import { argValue, CUDA_OOM, ScriptedLauncher, type Script } from './scriptedServer';
import { itemAt } from '../fixtures/itemAt';
import { untilState } from './stateEvents';

const DENSE: LaunchShape = { gpuLayers: 33, totalLayers: 33, cpuMoeLayers: 0, isMoe: false, ubatch: 512, cacheType: 'f16', contextSize: 8192 };
const MOE: LaunchShape = { ...DENSE, totalLayers: 48, gpuLayers: 49, isMoe: true };

/** A stand-in planner: the shape after the overrides, as llama-server arguments. */
function planner(base: LaunchShape): (o: RecoveryOverrides, _binary?: unknown) => Promise<PlannedLaunch> {
  return async (o) => {
    const shape = applyStep(base, o);
    const planArgs = ['-ngl', String(shape.gpuLayers), '-ub', String(shape.ubatch), '-ctk', shape.cacheType, '--n-cpu-moe', String(shape.cpuMoeLayers)];
    return { planArgs, contextSize: shape.contextSize, shape };
  };
}

function supervisor(script: Script): { supervisor: Supervisor; launcher: ScriptedLauncher } {
  const launcher = new ScriptedLauncher(script);
  const sup = new Supervisor({
    launcher,
    resolveBinary: async () => ({ path: 'llama-server' }),
    checkModel: async () => undefined,
    healthIntervalMs: 20,
    stopGraceMs: 200,
    restartPolicy: new RestartPolicy({ baseDelayMs: 10 }),
  });
  return { supervisor: sup, launcher };
}

const base = { modelPath: '/models/m.gguf', port: 0, extraArgs: [], contextSize: 0 };

/** A start the way the model runner makes one: planned, with one RecoveryPolicy that announces its steps. */
function startPlanned(sup: Supervisor, planFor = planner(DENSE)): { recovery: RecoveryPolicy; announced: RecoveryStep[]; ready: Promise<ReadyServer> } {
  const announced: RecoveryStep[] = [];
  const recovery = new RecoveryPolicy(planFor, (step) => announced.push(step));
  return { recovery, announced, ready: sup.start(base, recovery) };
}

test('ladder order for a GPU out-of-memory: fewer layers, smaller batch, 8-bit KV cache, smaller context, then stop', () => {
  let shape = DENSE;
  const changes: string[] = [];
  for (let i = 0; ; i++) {
    const step = nextRecoveryStep(shape, 'out-of-gpu-memory', i);
    if (!step) break;
    changes.push(Object.keys(step.overrides).join(','));
    shape = applyStep(shape, step.overrides);
  }
  assert.deepEqual(changes, ['gpuLayers', 'ubatch,batch', 'cacheTypeK,cacheTypeV,flashAttn', 'contextSize']);
  assert.deepEqual(shape, { ...DENSE, gpuLayers: 26, ubatch: 256, cacheType: 'q8_0', contextSize: 4096 });
});

test('ladder: MoE moves experts to the CPU before giving up layers; RAM failures skip the GPU rung; other failures get no ladder', () => {
  assert.deepEqual(nextRecoveryStep(MOE, 'out-of-gpu-memory', 0)?.overrides, { cpuMoeLayers: 12 });
  assert.deepEqual(Object.keys(nextRecoveryStep(DENSE, 'out-of-ram', 0)?.overrides ?? {}), ['ubatch', 'batch']);
  assert.equal(nextRecoveryStep(DENSE, 'bad-model', 0), undefined);
  assert.equal(nextRecoveryStep(DENSE, 'port-in-use', 0), undefined);
  const tiny: LaunchShape = { ...DENSE, gpuLayers: 0, ubatch: 256, cacheType: 'q8_0', contextSize: 2048 };
  assert.equal(nextRecoveryStep(tiny, 'out-of-ram', 0), undefined, 'nothing left to give');
});

test('scripted failing server (fake, no GPU here): OOM with 33 layers, the second try with 26 loads, and the user is told what changed', async () => {
  const { supervisor: sup, launcher } = supervisor((args) => (Number(argValue(args, '-ngl')) > 30 ? { fail: CUDA_OOM } : { serve: true }));
  const kinds: ServerStateKind[] = [];
  sup.onDidChangeState((s) => kinds.push(s.kind));
  try {
    const { recovery, announced, ready } = startPlanned(sup);
    await ready;
    assert.equal(launcher.launches.length, 2);
    assert.equal(argValue(itemAt(launcher.launches, 1), '-ngl'), '26');
    assert.equal(recovery.changes.length, 1);
    assert.match(itemAt(recovery.changes, 0), /26 of 33 layers on the GPU instead of 33.*slower/);
    assert.deepEqual(announced.map((s) => s.change), recovery.changes, 'each change announced once');
    assert.equal(sup.state.kind, 'ready');
    assert.deepEqual(kinds, ['locating', 'planning', 'starting', 'planning', 'starting', 'ready'], 'the retry re-plans within the start, no failed in between');
  } finally {
    await sup.stop();
  }
});

test('scripted failing server (fake): a server that always runs out of memory ends after the ladder, with every change named', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ fail: CUDA_OOM }));
  const { ready } = startPlanned(sup);
  await assert.rejects(ready, (err: Error) => {
    assert.match(err.message, /GPU ran out of memory/);
    assert.match(err.message, /already tried: .*layers.*batch.*8-bit.*context/);
    return true;
  });
  assert.equal(launcher.launches.length, 5, 'first try + 4 rungs, no loop');
  assert.ok(sup.state.kind === 'failed' && /already tried/.test(sup.state.error), 'the failed state says what was tried');
});

test('scripted failing server (fake): a failure that is not about memory is not retried', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ fail: ["gguf_init_from_reader: invalid magic characters: 'xxxx'"] }));
  await assert.rejects(startPlanned(sup).ready, /could not load the model/);
  assert.equal(launcher.launches.length, 1);
});

test('scripted failing server (fake): an out-of-memory crash while generating restarts one rung down', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ serve: true }));
  try {
    const { recovery, announced, ready } = startPlanned(sup);
    const first = await ready;
    const firstChanges = recovery.changes;
    const again = untilState(sup, 'ready');
    launcher.crashAll(['CUDA error: out of memory', 'current device: 0, in function ggml_cuda_mul_mat']);
    const second = await again;
    assert.notEqual(second.pid, first.pid);
    assert.equal(argValue(itemAt(launcher.launches, 1), '-ngl'), '26');
    assert.equal(recovery.changes.length, 1);
    assert.equal(announced.length, 1);
    assert.deepEqual(firstChanges, [], 'what the start returned is not changed afterwards');
  } finally {
    await sup.stop();
  }
});

test('scripted server (fake): the reload after an out-of-memory crash also runs out of memory at load; the same policy steps down again and ends ready', async () => {
  // Launch 1 serves, crashes out of memory while serving; launch 2 (26 layers) fails out of memory at load; launch 3 serves.
  const { supervisor: sup, launcher } = supervisor(() => (launcher.launches.length === 2 ? { fail: CUDA_OOM } : { serve: true }));
  const kinds: ServerStateKind[] = [];
  try {
    const { recovery, announced, ready } = startPlanned(sup);
    await ready;
    sup.onDidChangeState((s) => kinds.push(s.kind));
    const again = untilState(sup, 'ready');
    launcher.crashAll(['CUDA error: out of memory', 'current device: 0, in function ggml_cuda_mul_mat']);
    await again;
    assert.equal(launcher.launches.length, 3);
    assert.equal(argValue(itemAt(launcher.launches, 1), '-ngl'), '26', 'after the crash: fewer layers');
    assert.equal(argValue(itemAt(launcher.launches, 2), '-ngl'), '26');
    assert.equal(argValue(itemAt(launcher.launches, 2), '-ub'), '256', 'after the failed reload: the next rung, a smaller batch');
    assert.deepEqual(kinds, ['crashed', 'planning', 'starting', 'planning', 'starting', 'ready']);
    assert.equal(announced.length, 2, 'both changes announced');
    assert.match(itemAt(announced, 0).change, /26 of 33 layers on the GPU/);
    assert.match(itemAt(announced, 1).change, /Halved the batch to 256 tokens/);
    assert.deepEqual(recovery.changes, announced.map((s) => s.change));
  } finally {
    await sup.stop();
  }
});

test('scripted server (fake): a crash that is not about memory reloads as it was, without re-planning', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ serve: true }));
  const kinds: ServerStateKind[] = [];
  try {
    const { announced, ready } = startPlanned(sup);
    await ready;
    sup.onDidChangeState((s) => kinds.push(s.kind));
    const again = untilState(sup, 'ready');
    launcher.crashAll(['GGML_ASSERT(n_tokens > 0) failed']);
    await again;
    assert.deepEqual(kinds, ['crashed', 'starting', 'ready']);
    const first = itemAt(launcher.launches, 0);
    const reload = itemAt(launcher.launches, 1);
    assert.deepEqual(reload, first.map((a, i, all) => (all[i - 1] === '--port' ? reload[i] : a)), 'same arguments but the port');
    assert.deepEqual(announced, []);
  } finally {
    await sup.stop();
  }
});

test('the ladder\'s overrides replace only the wishes they set; the user\'s other wishes stay', () => {
  const wishes = { contextSize: 8192, marginMiB: 512, gpuLayers: 'auto' as const };
  assert.deepEqual(wishesWith(wishes, { gpuLayers: 26, cacheTypeK: 'q8_0', cacheTypeV: 'q8_0', flashAttn: 'on', contextSize: undefined }), {
    contextSize: 8192,
    marginMiB: 512,
    gpuLayers: 26,
    cacheTypeK: 'q8_0',
    cacheTypeV: 'q8_0',
    flashAttn: 'on',
  });
});

test('a load failure with no known cause carries llama.cpp\'s last error lines to the user', async () => {
  const { supervisor: sup } = supervisor(() => ({
    fail: [
      '0.00.004.100 I load_tensors: loading model tensors',
      '0.00.004.260 E gguf_whatever: the frobnicator is misaligned',
      '0.00.004.600 E srv  llama_server: giving up',
      '0.00.004.700 I srv  operator(): cleaning up before exit...',
    ],
  }));
  try {
    await assert.rejects(sup.start({ ...base, contextSize: 512 }), (err: Error) => {
      assert.match(errorMessage(err), /llama-server exited with code 1\. llama-server said: gguf_whatever: the frobnicator is misaligned \| srv {2}llama_server: giving up$/);
      return true;
    });
    assert.ok(sup.state.kind === 'failed' && /frobnicator is misaligned/.test(sup.state.error), 'the failed state the views show says it too');
  } finally {
    await sup.stop();
  }
});
