// Apple silicon: Metal's memory is the RAM, so the planner budgets the GPU part and the CPU part from one pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetShortfalls, plan, type Plan } from '../../src/extension/memory/plan';
import { gpusFromDeviceList, type HardwareFacts } from '../../src/extension/memory/hardware';
import { planVerdict } from '../../src/extension/models/planVerdict';
import { summarizeHeader } from '../../src/extension/models/modelSummary';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';

/** A 32 GB M2 Pro: llama.cpp reports Metal with 21 GiB free (its working-set limit); vm_stat says 24 GiB available. */
const MAC_32GB: HardwareFacts = {
  gpus: gpusFromDeviceList([{ name: 'MTL0', description: 'Apple M2 Pro', totalMiB: 21 * 1024, freeMiB: 21 * 1024 }]),
  ramTotalMiB: 32 * 1024,
  ramAvailableMiB: 24 * 1024,
  physicalCores: 8,
  logicalCores: 12,
};
/** RAM available less the default 1 GiB margin: the one pool. */
const POOL_MiB = 23 * 1024;

const parts = (p: { modelMiB: number; contextMiB: number; computeMiB: number }): number => p.modelMiB + p.contextMiB + p.computeMiB;
const gpuPlusHost = (p: Plan): number => p.devices.reduce((s, d) => s + parts(d), parts(p.host));

test('unified memory: a model bigger than the one pool is not planned as fitting the GPU and RAM separately', async () => {
  const mixtral = await sparseHeader('mixtral-8x7b');
  const p = plan(mixtral, MAC_32GB);
  const gpu = parts(p.devices[0] ?? { modelMiB: 0, contextMiB: 0, computeMiB: 0 });
  assert.ok(gpu > 10 * 1024 && gpu <= 20 * 1024, `the Metal part (${gpu.toFixed(0)} MiB) is held to Metal's own limit`);
  assert.ok(gpuPlusHost(p) > POOL_MiB, 'the model does not fit the one pool');
  assert.equal(p.fits, false);
  assert.ok(p.warnings.some((w) => /shares it with the CPU \(unified memory\)/.test(w)), p.warnings.join('\n'));
  assert.ok(budgetShortfalls(p, MAC_32GB).some((s) => /^RAM: needs \d+ MiB, has 23552 MiB$/.test(s)));
  assert.equal(planVerdict(summarizeHeader(mixtral), MAC_32GB).kind, 'no-fit');
});

test('unified memory: a model that fits is planned with GPU + host within the one pool', async () => {
  for (const header of [await sparseHeader('qwen3-30b-a3b'), await sparseHeader('llama3-8b', 'Q8_0')]) {
    const p = plan(header, MAC_32GB);
    assert.equal(p.fits, true, p.warnings.join('\n'));
    assert.ok(gpuPlusHost(p) <= POOL_MiB, `${gpuPlusHost(p).toFixed(0)} MiB of ${POOL_MiB}`);
    assert.deepEqual(budgetShortfalls(p, MAC_32GB), []);
  }
});

test('unified memory: Metal gets no more than the RAM there is, whatever its working-set limit says', async () => {
  const tight: HardwareFacts = { ...MAC_32GB, ramAvailableMiB: 9 * 1024 };
  const p = plan(await sparseHeader('llama3-8b', 'Q8_0'), tight);
  assert.ok(gpuPlusHost(p) <= 8 * 1024 || !p.fits, 'either within the 8 GiB pool or reported as not fitting');
  assert.ok(parts(p.devices[0] ?? { modelMiB: 0, contextMiB: 0, computeMiB: 0 }) <= 8 * 1024);
});

test('a discrete GPU keeps its own budget beside RAM', async () => {
  const pc: HardwareFacts = { ...MAC_32GB, gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 4090', totalMiB: 24564, freeMiB: 21 * 1024, usedMiB: 3060, source: 'nvidia-smi' }] };
  const p = plan(await sparseHeader('mixtral-8x7b'), pc);
  assert.equal(p.fits, true, 'VRAM and RAM are two pools there');
  assert.ok(gpuPlusHost(p) > POOL_MiB);
});
