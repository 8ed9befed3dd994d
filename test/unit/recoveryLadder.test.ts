import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStep, nextRecoveryStep, type LaunchShape, type RecoveryOverrides } from '../../src/extension/runner/recoveryLadder';
import { configAfterCrash, startWithRecovery, type PlannedLaunch } from '../../src/extension/runner/startWithRecovery';
import { wishesWith } from '../../src/extension/runner/exactPlan';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { errorMessage } from '../../src/extension/common/errors';
import { argValue, CUDA_OOM, ScriptedLauncher, type Script } from './scriptedServer';
import { nextEvent } from '../fixtures/events';

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
  const sup = new Supervisor({ launcher, resolveBinary: async () => ({ path: 'llama-server' }), checkModel: async () => undefined, healthIntervalMs: 20, stopGraceMs: 200 });
  return { supervisor: sup, launcher };
}

const base = { modelPath: '/models/m.gguf', port: 0, extraArgs: [] };

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
  try {
    const result = await startWithRecovery({ supervisor: sup, planFor: planner(DENSE) }, base);
    assert.equal(launcher.launches.length, 2);
    assert.equal(argValue(launcher.launches[1], '-ngl'), '26');
    assert.equal(result.state.changes.length, 1);
    assert.match(result.state.changes[0], /26 of 33 layers on the GPU instead of 33.*slower/);
    assert.equal(sup.state.kind, 'ready');
  } finally {
    await sup.stop();
  }
});

test('scripted failing server (fake): a server that always runs out of memory ends after the ladder, with every change named', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ fail: CUDA_OOM }));
  await assert.rejects(startWithRecovery({ supervisor: sup, planFor: planner(DENSE) }, base), (err: Error) => {
    assert.match(err.message, /GPU ran out of memory/);
    assert.match(err.message, /already tried: .*layers.*batch.*8-bit.*context/);
    return true;
  });
  assert.equal(launcher.launches.length, 5, 'first try + 4 rungs, no loop');
  assert.equal(sup.state.kind, 'failed');
});

test('scripted failing server (fake): a failure that is not about memory is not retried', async () => {
  const { supervisor: sup, launcher } = supervisor(() => ({ fail: ["gguf_init_from_reader: invalid magic characters: 'xxxx'"] }));
  await assert.rejects(startWithRecovery({ supervisor: sup, planFor: planner(DENSE) }, base), /could not load the model/);
  assert.equal(launcher.launches.length, 1);
});

test('scripted failing server (fake): an out-of-memory crash while generating restarts one rung down', async () => {
  const planFor = planner(DENSE);
  const state = { binary: { path: 'llama-server' }, launch: await planFor({}), overrides: {}, steps: 0, changes: [] };
  const launcher = new ScriptedLauncher(() => ({ serve: true }));
  const sup = new Supervisor({
    launcher,
    resolveBinary: async () => ({ path: 'llama-server' }),
    checkModel: async () => undefined,
    healthIntervalMs: 20,
    adjustAfterCrash: async (failure, config) => (await configAfterCrash(failure, config, state, planFor))?.config,
  });
  try {
    await sup.start({ ...base, contextSize: state.launch.contextSize, planArgs: state.launch.planArgs });
    const restarted = nextEvent(sup.onDidChangeState, 'a restart after the crash', (s) => s.kind === 'ready' && launcher.launches.length >= 2);
    launcher.crashAll(['CUDA error: out of memory', 'current device: 0, in function ggml_cuda_mul_mat']);
    await restarted;
    assert.equal(argValue(launcher.launches[1], '-ngl'), '26');
    assert.equal(state.changes.length, 1);
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
