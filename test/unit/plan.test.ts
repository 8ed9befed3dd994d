import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, layerDeviceFor, padContext, totalMiB } from '../../src/extension/memory/estimate';
import { SystemHardwareProbe, type HardwareFacts } from '../../src/extension/memory/hardware';
import { modelShape } from '../../src/extension/memory/modelShape';
import { budgetShortfalls, fitsBudget, plan } from '../../src/extension/memory/plan';
import { rankQuants } from '../../src/extension/memory/quantAdvice';
import type { SparsePreset, SparseQuant } from '../../src/extension/gguf/writer/models';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';
import { itemAt } from '../fixtures/itemAt';

const GiB = 1024;

/** A simulated machine: one GPU of `gb` GB (300 MiB in use by the desktop), 64 GB of RAM, 8 cores. */
function simulatedGpu(gb: number, ramMiB = 64 * GiB): HardwareFacts {
  return {
    gpus: [{ index: 0, name: `simulated ${gb} GB GPU`, totalMiB: gb * GiB, freeMiB: gb * GiB - 300, usedMiB: 300 }],
    ramTotalMiB: ramMiB,
    ramAvailableMiB: ramMiB - 2 * GiB,
    physicalCores: 8,
    logicalCores: 16,
  };
}

const CASES: [SparsePreset, SparseQuant][] = [
  ['llama3-8b', 'Q4_K_M'], ['llama3-8b', 'Q8_0'], ['llama3-8b', 'F16'], ['llama3-8b', 'Q4_0'],
  ['llama3-70b', 'Q4_K_M'], ['llama3-70b', 'Q4_0'],
  ['mixtral-8x7b', 'Q4_K_M'], ['mixtral-8x7b', 'Q8_0'],
  ['qwen3-30b-a3b', 'Q4_K_M'], ['qwen3-30b-a3b', 'Q8_0'], ['qwen3-30b-a3b', 'F16'],
];

for (const gb of [8, 12, 24]) {
  test(`simulated GPU ${gb} GB: every model's plan fits its budget`, async () => {
    const hw = simulatedGpu(gb);
    for (const [preset, quant] of CASES) {
      const header = await sparseHeader(preset, quant);
      const p = plan(header, hw);
      const label = `${preset} ${quant} on ${gb} GB`;
      assert.equal(p.fits, true, `${label}: ${p.warnings.join(' ')}`);
      assert.deepEqual(budgetShortfalls(p, hw), [], label);
      assert.equal(fitsBudget(p, hw), true, label);
      assert.equal(p.source, 'estimate');
      assert.equal(p.gpuLayers.total, modelShape(header).nLayer + 1);
      assert.ok(p.gpuLayers.onGpu > 0, `${label}: something on the GPU`);
      assert.ok(p.args.includes('--fit') && p.args[p.args.indexOf('--fit') + 1] === 'off', label);
      assert.ok(!p.args.includes('--ctx-size') && !p.args.includes('-c'), label);
      assert.equal(p.threads, 8);
      assert.ok(p.reasons.length >= 4 && p.reasons.every((r) => /^[A-Z0-9].*\.$/.test(r)), label);
    }
  });
}

test("the machine's real CPU: every model that fits its RAM is planned on the CPU within budget", async () => {
  const hw = await new SystemHardwareProbe().sample();
  const cpuOnly: HardwareFacts = { ...hw, gpus: [] };
  for (const [preset, quant] of CASES) {
    const header = await sparseHeader(preset, quant);
    const p = plan(header, cpuOnly);
    const label = `${preset} ${quant} on this CPU`;
    assert.equal(p.gpuLayers.onGpu, 0, label);
    assert.equal(p.threads, hw.physicalCores, 'threads = physical cores');
    assert.equal(p.fits, fitsBudget(p, cpuOnly), label);
    const needMiB = modelShape(header).totalBytes / 2 ** 20;
    if (needMiB + 3 * GiB < cpuOnly.ramAvailableMiB - 1024) assert.equal(p.fits, true, `${label}: ${p.warnings.join(' ')}`);
    if (!p.fits) assert.ok(p.warnings.some((w) => /RAM is .* short/.test(w)), label);
  }
});

test('dense model on a simulated 24 GB GPU: all 33 layers, f16 cache, with spare memory said', async () => {
  const p = plan(await sparseHeader('llama3-8b', 'Q4_K_M'), simulatedGpu(24));
  assert.deepEqual(p.gpuLayers, { onGpu: 33, total: 33 });
  assert.equal(p.cacheTypeK, 'f16');
  assert.equal(p.cacheTypeV, 'f16');
  assert.equal(p.contextSize, 8192);
  assert.ok(p.reasons.some((r) => /^33 of 33 layers on the GPU: the model fits with \d+\.\d GiB to spare\.$/.test(r)), p.reasons.join('\n'));
  assert.deepEqual(p.args, ['-ngl', '33', '--fit', 'off', '-fa', 'on', '-t', '8']);
});

test('dense 70B on a simulated 12 GB GPU: a partial offload, most layers that fit', async () => {
  const header = await sparseHeader('llama3-70b', 'Q4_K_M');
  const hw = simulatedGpu(12);
  const p = plan(header, hw, { cacheTypeK: 'f16', cacheTypeV: 'f16' });
  assert.ok(p.gpuLayers.onGpu > 5 && p.gpuLayers.onGpu < 81, String(p.gpuLayers.onGpu));
  // One more layer would not fit.
  const more = plan(header, hw, { gpuLayers: p.gpuLayers.onGpu + 1, cacheTypeK: 'f16', cacheTypeV: 'f16' });
  assert.equal(fitsBudget(more, hw), false);
  assert.equal(more.fits, false);
  assert.ok(more.warnings.some((w) => /short/.test(w)));
});

test('MoE on a simulated 12 GB GPU: experts go to RAM before whole layers', async () => {
  for (const preset of ['mixtral-8x7b', 'qwen3-30b-a3b'] as const) {
    const header = await sparseHeader(preset, 'Q4_K_M');
    const shape = modelShape(header);
    const p = plan(header, simulatedGpu(12), { cacheTypeK: 'f16', cacheTypeV: 'f16' });
    assert.equal(p.gpuLayers.onGpu, shape.nLayer + 1, `${preset}: every layer on the GPU`);
    assert.ok(p.cpuMoeLayers > 0 && p.cpuMoeLayers < shape.nLayer, `${preset}: ${p.cpuMoeLayers}`);
    assert.deepEqual(p.args.slice(p.args.indexOf('--n-cpu-moe'), p.args.indexOf('--n-cpu-moe') + 2), ['--n-cpu-moe', String(p.cpuMoeLayers)]);
    // One layer fewer with experts in RAM would not fit.
    const fewer = plan(header, simulatedGpu(12), { cacheTypeK: 'f16', cacheTypeV: 'f16', cpuMoeLayers: p.cpuMoeLayers - 1, gpuLayers: shape.nLayer + 1 });
    assert.equal(fewer.fits, false, preset);
  }
});

test('MoE too big even with --cpu-moe: whole layers move, every expert in RAM', async () => {
  const header = await sparseHeader('mixtral-8x7b', 'Q8_0');
  const hw = simulatedGpu(4);
  const p = plan(header, hw, { cacheTypeK: 'f16', cacheTypeV: 'f16', contextSize: 32768 });
  assert.ok(p.args.includes('--cpu-moe'), p.args.join(' '));
  assert.ok(p.gpuLayers.onGpu < 33);
  assert.equal(p.fits, fitsBudget(p, hw));
});

test('KV quantization only when it buys layers, and then with flash attention', async () => {
  // 8B Q4_K_M on 24 GB: everything fits at f16, so f16 stays.
  const roomy = plan(await sparseHeader('llama3-8b', 'Q4_K_M'), simulatedGpu(24), { contextSize: 32768 });
  assert.equal(roomy.cacheTypeK, 'f16');
  // 8B F16 at 32k on 16 GB: an f16 cache costs layers; a quantized one buys them back.
  const header = await sparseHeader('llama3-8b', 'F16');
  const hw = simulatedGpu(16);
  const tight = plan(header, hw, { contextSize: 32768 });
  const f16 = plan(header, hw, { contextSize: 32768, cacheTypeK: 'f16', cacheTypeV: 'f16' });
  assert.notEqual(tight.cacheTypeK, 'f16');
  assert.ok(tight.gpuLayers.onGpu > f16.gpuLayers.onGpu, `${tight.gpuLayers.onGpu} > ${f16.gpuLayers.onGpu}`);
  assert.equal(tight.flashAttn, true);
  assert.ok(tight.args.includes('-ctk') && tight.args.includes('-ctv'));
  assert.ok(tight.reasons.some((r) => /more on the GPU than f16/.test(r)), tight.reasons.join('\n'));
  // CPU only: nothing to buy, f16.
  const cpu = plan(header, { ...simulatedGpu(24), gpus: [] }, { contextSize: 32768 });
  assert.equal(cpu.cacheTypeK, 'f16');
});

test('overrides are honoured, not fought', async () => {
  const header = await sparseHeader('llama3-8b', 'Q4_K_M');
  const hw = simulatedGpu(8);
  const p = plan(header, hw, {
    contextSize: 16384, gpuLayers: 20, cacheTypeK: 'q8_0', cacheTypeV: 'q8_0', flashAttn: 'on', threads: 3,
    mmap: false, batch: 1024, ubatch: 256, marginMiB: 512,
  });
  assert.equal(p.contextSize, 16384);
  assert.equal(p.gpuLayers.onGpu, 20);
  assert.equal(p.cacheTypeK, 'q8_0');
  assert.equal(p.threads, 3);
  assert.equal(p.mmap, false);
  assert.deepEqual(p.args, ['-ngl', '20', '--fit', 'off', '-ctk', 'q8_0', '-ctv', 'q8_0', '-fa', 'on', '-t', '3', '--no-mmap', '-b', '1024', '-ub', '256']);
  // An override that does not fit is kept, and the plan says so.
  const big = plan(await sparseHeader('llama3-70b', 'Q4_K_M'), hw, { gpuLayers: 81 });
  assert.equal(big.gpuLayers.onGpu, 81);
  assert.equal(big.fits, false);
  assert.ok(big.warnings.length > 0);
  // A context larger than trained is capped there, as llama-server caps each slot (an explicit one with a warning).
  const qwen = await sparseHeader('qwen3-30b-a3b', 'Q4_K_M');
  const trained = modelShape(qwen).nCtxTrain;
  const capped = plan(qwen, simulatedGpu(24), { contextSize: trained * 2 });
  assert.equal(capped.contextSize, trained);
  assert.match(capped.warnings.join(' '), new RegExp(`larger than the ${trained} this model was trained for, and llama-server caps`));
  assert.match(capped.reasons.join(' '), new RegExp(`Context ${trained} tokens: the model's trained context`));
  assert.equal(plan(qwen, simulatedGpu(24), { contextSize: 4096 }).contextSize, 4096, 'a smaller one is as set');
  const small = { ...modelShape(qwen), nCtxTrain: 4096 };
  assert.equal(plan(small, simulatedGpu(24)).contextSize, 4096);
  // Flash attention off with f16 is honoured.
  const off = plan(header, simulatedGpu(24), { flashAttn: 'off' });
  assert.equal(off.flashAttn, false);
  assert.ok(off.args.join(' ').includes('-fa off'));
  // Fixed experts in RAM for a MoE are kept.
  const moe = plan(qwen, simulatedGpu(24), { cpuMoeLayers: 10 });
  assert.equal(moe.cpuMoeLayers, 10);
  assert.ok(moe.args.join(' ').includes('--n-cpu-moe 10'));
});

test('nothing fits: the default context shrinks to the minimum, an explicit one is kept', async () => {
  const header = await sparseHeader('llama3-8b', 'F16');
  const tiny: HardwareFacts = { gpus: [], ramTotalMiB: 18 * GiB, ramAvailableMiB: 17 * GiB, physicalCores: 2, logicalCores: 2 };
  const p = plan(header, { ...tiny, ramAvailableMiB: 16.5 * GiB }, { minContext: 1024 });
  assert.equal(p.fits, true, p.warnings.join(' '));
  assert.ok(p.contextSize < 8192, String(p.contextSize));
  const kept = plan(header, { ...tiny, ramAvailableMiB: 15 * GiB }, { contextSize: 8192 });
  assert.equal(kept.contextSize, 8192);
  assert.equal(kept.fits, false);
});

test('two simulated GPUs: layers split in proportion to free memory, -ts given', async () => {
  const hw: HardwareFacts = {
    gpus: [
      { index: 0, name: 'simulated 24 GB GPU', totalMiB: 24 * GiB, freeMiB: 24 * GiB - 300, usedMiB: 300 },
      { index: 1, name: 'simulated 12 GB GPU', totalMiB: 12 * GiB, freeMiB: 12 * GiB, usedMiB: 0 },
    ],
    ramTotalMiB: 64 * GiB, ramAvailableMiB: 60 * GiB, physicalCores: 16, logicalCores: 32,
  };
  const p = plan(await sparseHeader('llama3-70b', 'Q4_K_M'), hw);
  assert.equal(p.devices.length, 2);
  assert.ok(p.args.includes('-ts'));
  assert.ok(fitsBudget(p, hw), budgetShortfalls(p, hw).join('; '));
  assert.ok(itemAt(p.devices, 0).modelMiB > itemAt(p.devices, 1).modelMiB);
});

test('plan is deterministic and fast', async () => {
  const header = await sparseHeader('qwen3-30b-a3b', 'Q4_K_M');
  const t = performance.now();
  const a = plan(header, simulatedGpu(12));
  const ms = performance.now() - t;
  assert.deepEqual(plan(header, simulatedGpu(12)), a);
  assert.ok(ms < 500, `${ms} ms`);
});

test('estimator: -ngl maps the last layers and the output layer to the GPU, token_embd stays on the CPU', async () => {
  const shape = modelShape(await sparseHeader('llama3-8b', 'Q8_0'));
  // ngl 1: only the output layer.
  assert.deepEqual([layerDeviceFor(31, 32, 1, [1]), layerDeviceFor(32, 32, 1, [1])], [-1, 0]);
  // ngl 33: everything.
  assert.equal(layerDeviceFor(0, 32, 33, [1]), 0);
  // Two GPUs split half/half.
  assert.deepEqual([layerDeviceFor(0, 32, 33, [0.5, 1]), layerDeviceFor(32, 32, 33, [0.5, 1])], [0, 1]);
  const e = estimateMemory(shape, { contextSize: 4096, devices: [{ name: 'g', freeMiB: 99999 }], gpuLayers: 33 });
  const embd = shape.tensors.find((t) => t.name === 'token_embd.weight')!.bytes / 2 ** 20;
  assert.ok(Math.abs(e.host.modelMiB - embd - 0.00025) < 0.01, `${e.host.modelMiB} vs ${embd}`);
  assert.equal(e.host.contextMiB, 0);
  assert.equal(e.devices[0]?.contextMiB, 512);
  assert.equal(padContext(5000), 5120);
  // A quantized V cache needs flash attention.
  assert.throws(() => estimateMemory(shape, { contextSize: 4096, cacheTypeV: 'q8_0', flashAttn: false }), /flash attention/);
  assert.ok(totalMiB(itemAt(e.devices, 0)) > 8000);
});

test('quant advice: highest quality fully on the GPU, else most on the GPU that fits RAM', async () => {
  const quants: SparseQuant[] = ['F16', 'Q8_0', 'Q4_K_M', 'Q4_0'];
  const candidates = await Promise.all(quants.map(async (q) => ({ label: `llama3-8b-${q}.gguf`, header: await sparseHeader('llama3-8b', q) })));
  const on12 = rankQuants(candidates, simulatedGpu(12));
  assert.equal(on12.recommended?.quant, 'Q8_0');
  assert.equal(on12.ranked[0]?.fit, 'gpu');
  assert.match(on12.why, /^Q8_0 runs fully on your 12 GB GPU; F16 would put \d+ of 33 layers on the CPU\.$/);
  const on8 = rankQuants(candidates, simulatedGpu(8));
  assert.equal(on8.recommended?.quant, 'Q4_K_M');
  assert.match(on8.why, /^Q4_K_M runs fully on your 8 GB GPU; Q8_0 would put \d+ of 33 layers on the CPU\.$/);
  // Nothing fully on a 4 GB GPU: the one with most on the GPU.
  const on4 = rankQuants(candidates, simulatedGpu(4));
  assert.equal(on4.ranked[0]?.fit, 'split');
  assert.ok(itemAt(on4.ranked, 0).gpuShare >= itemAt(on4.ranked, 1).gpuShare);
  assert.match(on4.why, /layers on the CPU/);
  // Too little RAM for F16: ranked as not fitting.
  const small = rankQuants(candidates, { ...simulatedGpu(4), ramAvailableMiB: 6 * GiB });
  assert.equal(small.ranked.at(-1)?.fit, 'none');
  assert.equal(small.ranked.at(-1)?.quant, 'F16');
  // MoE: experts in RAM are what the sentence says.
  const moe = await Promise.all((['Q8_0', 'Q4_K_M'] as const).map(async (q) => ({ label: q, header: await sparseHeader('qwen3-30b-a3b', q) })));
  const moeAdvice = rankQuants(moe, simulatedGpu(24));
  assert.equal(moeAdvice.recommended?.quant, 'Q4_K_M');
  assert.match(moeAdvice.why, /Q8_0 would keep the experts of \d+ of 48 layers in RAM/);
  assert.equal(rankQuants([], simulatedGpu(8)).recommended, undefined);
});
