import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeHeader } from '../../src/extension/models/modelSummary';
import { planVerdict } from '../../src/extension/models/planVerdict';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';

const machine = (vramGiB: number, ramGiB: number): HardwareFacts => ({
  gpus: vramGiB ? [{ index: 0, name: `simulated ${vramGiB} GB GPU`, totalMiB: vramGiB * 1024, freeMiB: vramGiB * 1024, usedMiB: 0 }] : [],
  ramTotalMiB: ramGiB * 1024,
  ramAvailableMiB: ramGiB * 1024,
  physicalCores: 8,
  logicalCores: 16,
});

test('planner verdicts (simulated GPUs): dense fits, dense split, MoE experts in RAM, too big', async () => {
  const l8 = summarizeHeader(await sparseHeader('llama3-8b'));
  const l70 = summarizeHeader(await sparseHeader('llama3-70b'));
  const qwen = summarizeHeader(await sparseHeader('qwen3-30b-a3b'));
  assert.ok(l8.shape && l70.shape && qwen.shape, 'summaries carry the planner shape');
  assert.deepEqual(planVerdict(l8, machine(12, 64)), { kind: 'gpu', text: 'fully on GPU', gpuLayers: 33, totalLayers: 33 });
  const split = planVerdict(l70, machine(12, 64));
  assert.equal(split.kind, 'partial');
  assert.match(split.text, /^\d+\/81 layers on GPU$/);
  const moe = planVerdict(qwen, machine(12, 64));
  assert.equal(moe.kind, 'partial');
  assert.match(moe.text, /^49\/49 layers on GPU, experts of \d+ layers in RAM$/);
  const none = planVerdict(l70, machine(0, 16));
  assert.equal(none.kind, 'no-fit');
  assert.match(none.text, /RAM: needs \d+ MiB, has \d+ MiB/);
});

test('planner verdict falls back to the size estimate when there is no shape (a catalogue entry)', () => {
  const verdict = planVerdict({ tensorBytes: 4 * 2 ** 30, layerBytes: [], otherBytes: 0 }, machine(12, 64));
  assert.equal(verdict.kind, 'gpu');
});
