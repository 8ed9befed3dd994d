// Planning a completion model beside the chat model: the completion server's footprint comes off the
// machine the chat model is planned on, so the two together stay within the GPU's and RAM's budgets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';
import { writeSparseModel } from '../../src/extension/gguf/writer/models';
import { SMALL_SHAPES } from '../../src/extension/gguf/writer/shapes';
import { sharedPlanReports } from '../../src/extension/runner/sharedPlanReports';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { plan } from '../../src/extension/memory/plan';
import { COMPLETION_CONTEXT, hardwareWithout, notYetVisible, planWithCompletion, reservationOf, reservationReason } from '../../src/extension/memory/sharedPlan';
import type { MemoryParts } from '../../src/extension/memory/planTypes';

const machine = (vramGiB: number, ramGiB: number): HardwareFacts => ({
  gpus: vramGiB > 0 ? [{ index: 0, name: 'GPU', totalMiB: vramGiB * 1024, freeMiB: vramGiB * 1024, usedMiB: 0 }] : [],
  ramTotalMiB: ramGiB * 1024, ramAvailableMiB: ramGiB * 1024, physicalCores: 8, logicalCores: 16,
});
const total = (p: MemoryParts | undefined): number => (p ? p.modelMiB + p.contextMiB + p.computeMiB : 0);

test('shared plan: the completion model is planned first; its GPU and RAM footprint comes off the chat model\'s machine', async () => {
  const chat = await sparseHeader('llama3-8b');
  const completion = await sparseHeader('small-qwen2');
  const hw = machine(12, 32);
  const shared = planWithCompletion(chat, completion, hw);
  assert.equal(shared.completion.contextSize, COMPLETION_CONTEXT);
  assert.equal(shared.completion.gpuLayers.onGpu, shared.completion.gpuLayers.total, 'the small model is fully on the GPU');
  const taken = total(shared.completion.devices[0]);
  assert.ok(taken > 500, `completion model on the GPU: ${taken} MiB`);
  assert.equal(shared.chatHardware.gpus[0]?.freeMiB, hw.gpus[0]!.freeMiB - Math.ceil(taken));
  assert.equal(shared.chatHardware.ramAvailableMiB, hw.ramAvailableMiB - Math.ceil(total(shared.completion.host)));
  assert.ok(shared.chat.fits);
  // Both servers together within the GPU, less the default 1024 MiB margin.
  assert.ok(taken + total(shared.chat.devices[0]) <= hw.gpus[0]!.freeMiB - 1024, `${taken} + ${total(shared.chat.devices[0])} MiB`);
});

test('shared plan: on a GPU the chat model alone just fits, the completion model costs it layers, or cache precision', async () => {
  const chat = await sparseHeader('llama3-8b');
  const completion = await sparseHeader('small-qwen2');
  const roomy = machine(7, 32);
  assert.equal(plan(chat, roomy, { contextSize: 8192 }).cacheTypeK, 'f16');
  assert.notEqual(planWithCompletion(chat, completion, roomy, { contextSize: 8192 }).chat.cacheTypeK, 'f16', 'a quantized KV cache makes room');
  const hw = machine(6, 32);
  const alone = plan(chat, hw, { contextSize: 8192 });
  const shared = planWithCompletion(chat, completion, hw, { contextSize: 8192 });
  assert.equal(alone.gpuLayers.onGpu, alone.gpuLayers.total, 'alone: fully on the GPU');
  assert.ok(shared.chat.gpuLayers.onGpu < alone.gpuLayers.onGpu, `shared: ${shared.chat.gpuLayers.onGpu}/${shared.chat.gpuLayers.total} layers`);
  assert.ok(total(shared.completion.devices[0]) + total(shared.chat.devices[0]) <= hw.gpus[0]!.freeMiB - 1024);
});

test('shared plan: on a CPU-only machine the completion model comes off the RAM', async () => {
  const hw = machine(0, 16);
  const p = plan(await sparseHeader('small-qwen2'), hw, { contextSize: COMPLETION_CONTEXT });
  const inRam = total(p.host);
  assert.ok(inRam > 500, `${inRam} MiB`);
  const reserved = reservationOf(p, 'the completion model');
  assert.equal(hardwareWithout(hw, reserved).ramAvailableMiB, 16 * 1024 - Math.ceil(inRam));
  assert.deepEqual(hardwareWithout(hw, reserved).gpus, []);
});

test('reservation: per GPU in the hardware\'s order and in RAM, never below zero; a GPU it does not name keeps its memory', () => {
  const hw: HardwareFacts = {
    ...machine(0, 8),
    gpus: [
      { index: 0, name: 'A', totalMiB: 8192, freeMiB: 6000, usedMiB: 2192 },
      { index: 1, name: 'B', totalMiB: 4096, freeMiB: 300, usedMiB: 3796 },
      { index: 2, name: 'C', totalMiB: 4096, freeMiB: 4096, usedMiB: 0 },
    ],
  };
  const after = hardwareWithout(hw, { gpuMiB: [1000, 500], ramMiB: 9000, holder: 'x' });
  assert.deepEqual(after.gpus.map((g) => [g.freeMiB, g.usedMiB]), [[5000, 3192], [0, 4296], [4096, 0]]);
  assert.equal(after.ramAvailableMiB, 0);
  assert.equal(after.ramTotalMiB, hw.ramTotalMiB, 'the total is the machine\'s; only what is free changes');
});

test('reservation of a running server: the VRAM nvidia-smi already shows it holding is not kept free twice; llama.cpp-reported GPUs and RAM stay whole', () => {
  const gpus = [
    { index: 1, name: 'A', totalMiB: 8192, freeMiB: 6000, usedMiB: 2192 },
    { index: 0, name: 'B', totalMiB: 8192, freeMiB: 6000, usedMiB: 2192, source: 'nvidia-smi' as const },
    { index: 2, name: 'V', totalMiB: 8192, freeMiB: 6000, usedMiB: 2192, source: 'llama.cpp' as const },
  ];
  const reserved = { gpuMiB: [900, 300, 500], ramMiB: 700, holder: 'the completion model' };
  const held = new Map([[1, 850], [0, 400], [2, 500]]);
  assert.deepEqual(notYetVisible(reserved, gpus, held), { gpuMiB: [50, 0, 500], ramMiB: 700, holder: 'the completion model' });
  assert.deepEqual(notYetVisible(reserved, gpus, new Map()), reserved, 'nothing seen: all of it is kept free');
});

test('reservation: whole MiB rounded up from a plan\'s parts, and said in one sentence', async () => {
  const p = plan(await sparseHeader('small-qwen2'), machine(8, 16), { contextSize: COMPLETION_CONTEXT });
  const reserved = reservationOf(p, 'the completion model');
  assert.deepEqual(reserved.gpuMiB, [Math.ceil(total(p.devices[0]))]);
  assert.equal(reserved.ramMiB, Math.ceil(total(p.host)));
  assert.equal(reservationReason({ gpuMiB: [768], ramMiB: 384, holder: 'the completion model' }), '1.1 GiB kept for the completion model (384 MiB in RAM, 768 MiB on the GPU).');
  assert.equal(reservationReason({ gpuMiB: [], ramMiB: 1024, holder: 'the completion model' }), '1.0 GiB kept for the completion model (1.0 GiB in RAM).');
  assert.equal(reservationReason({ gpuMiB: [], ramMiB: 37, holder: 'the completion model' }), '37 MiB kept for the completion model (37 MiB in RAM).');
});

test('shared plan reports (headroom plan --completion-model): the chat report sees the completion server as memory in use', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'headroom-shared-plan-'));
  try {
    const chatPath = join(dir, 'chat.gguf');
    const coderPath = join(dir, 'coder.gguf');
    await writeSparseModel(chatPath, 'llama3-8b');
    await writeSparseModel(coderPath, SMALL_SHAPES['small-qwen2']);
    const hw = machine(6, 32);
    const both = await sharedPlanReports(chatPath, coderPath, hw, { contextSize: 8192 });
    assert.equal(both.completion.modelName, 'coder.gguf');
    assert.match(both.completion.commandLine, /^LLAMA_API_KEY=<key> llama-server --model \S+coder\.gguf .*--ctx-size 4096$/);
    assert.equal(both.chat.hardware.gpus[0]?.usedMiB, Math.ceil(total(both.completion.plan.devices[0])));
    assert.equal(both.chat.plan.gpuLayers.onGpu, 30);
    assert.match(both.chat.plan.reasons[0] ?? '', /(MiB|GiB) kept for the completion model/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
