// The model picker judges models on the GPUs the build can use (Metal, Vulkan), not only on what nvidia-smi shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { parseListDevices } from '../../src/extension/llama/listDevices';
import { planVerdict, verdictHardware } from '../../src/extension/models/planVerdict';
import { sizeVerdict } from '../../src/extension/models/verdict';
import { summarizeHeader } from '../../src/extension/models/modelSummary';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';

/** A machine with no nvidia-smi and no amdgpu sysfs: the sample sees no GPU at all. */
const noSmi = (ramGiB: number, availableGiB: number): HardwareFacts => ({ gpus: [], ramTotalMiB: ramGiB * 1024, ramAvailableMiB: availableGiB * 1024, physicalCores: 8, logicalCores: 12 });

// `llama-server --list-devices` of a Metal build on a 32 GB M2 Pro, and of a Vulkan build on a Radeon RX 7600 under Windows.
const METAL_LIST = 'Available devices:\n  MTL0: Apple M2 Pro (21845 MiB, 21845 MiB free)\n';
const VULKAN_LIST = 'ggml_vulkan: Found 1 Vulkan devices:\nggml_vulkan: 0 = AMD Radeon RX 7600 (AMD proprietary driver) | uma: 0 | fp16: 1 | warp size: 64\nAvailable devices:\n  Vulkan0: AMD Radeon RX 7600 (8176 MiB, 7920 MiB free)\n';

test('picker verdicts on a Mac: Metal from the build\'s device list, not "on CPU"', async () => {
  const l8 = summarizeHeader(await sparseHeader('llama3-8b', 'Q8_0'));
  const mixtral = summarizeHeader(await sparseHeader('mixtral-8x7b'));
  const mac = verdictHardware(noSmi(32, 24), parseListDevices(METAL_LIST));
  assert.equal(planVerdict(l8, noSmi(32, 24)).kind, 'cpu', 'the sample alone sees no GPU');
  assert.deepEqual(planVerdict(l8, mac), { kind: 'gpu', text: 'fully on GPU', gpuLayers: 33, totalLayers: 33 });
  assert.equal(planVerdict(mixtral, mac).kind, 'no-fit', 'one RAM pool on a Mac');
  // The size-based verdict (catalogue entries) sees the same GPU, and the same one pool.
  assert.equal(sizeVerdict({ tensorBytes: 8 * 2 ** 30, layerBytes: [], otherBytes: 0 }, mac).kind, 'gpu');
  assert.equal(sizeVerdict({ tensorBytes: 26 * 2 ** 30, layerBytes: Array.from({ length: 32 }, () => 26 * 2 ** 25), otherBytes: 0 }, mac).kind, 'no-fit');
});

test('picker verdicts with a Vulkan build and an AMD card: partly on the GPU; no build to ask keeps the sample', async () => {
  const l8 = summarizeHeader(await sparseHeader('llama3-8b', 'Q8_0'));
  const pc = verdictHardware(noSmi(32, 24), parseListDevices(VULKAN_LIST));
  assert.deepEqual(pc.gpus.map((g) => [g.freeMiB, g.source]), [[7920, 'llama.cpp']]);
  assert.match(pc.gpus[0]?.name ?? '', /^AMD Radeon RX 7600/);
  const verdict = planVerdict(l8, pc);
  assert.equal(verdict.kind, 'partial');
  assert.match(verdict.text, /^\d+\/33 layers on GPU$/);
  assert.deepEqual(verdictHardware(noSmi(32, 24), undefined).gpus, []);
  assert.deepEqual(verdictHardware(noSmi(32, 24), []).gpus, [], 'a CPU-only build plans for no GPU');
});
