// The faults seen on a Vulkan device, one test each, against the Vulkan build's dry run on Mesa's
// lavapipe: the estimate of the failing component must be within 5% or 32 MiB of what llama.cpp
// allocates. (The estimator before the compute-graph replay failed each of them.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCase, stubFor, tolerance, type CaseResult, type MatrixCase } from './estimateMatrix';
import { vulkanBuild, type VulkanBuild } from './gpuEstimateMatrix';
import { tempDir } from './realServer';
import { requireTool } from '../fixtures/requireTool';
import { estimateMemory } from '../../src/extension/memory/estimate';
import { readGgufHeader } from '../../src/extension/gguf/header';

const dir = tempDir('vulkan-faults');
let vk: VulkanBuild = {};
before(async () => {
  vk = await vulkanBuild(dir.path);
});
after(() => dir.dispose());

/** The case measured and estimated, or undefined (the test skipped) without a Vulkan build outside CI. */
async function measure(t: { skip(reason?: string): void }, c: MatrixCase): Promise<CaseResult | undefined> {
  const missing = requireTool('the Vulkan llama.cpp build', vk.build !== undefined, vk.missing ?? '');
  if (!vk.build) {
    t.skip(missing);
    return undefined;
  }
  return runCase(vk.build, dir.path, c);
}

function within(r: CaseResult, device: 'Host' | 'Vulkan0', key: 'modelMiB' | 'contextMiB' | 'computeMiB'): void {
  const d = r.devices.find((x) => x.name === device);
  assert.ok(d, `${r.name}: no ${device} row`);
  const m = d.measured[key];
  const e = d.estimated[key];
  assert.ok(Math.abs(e - m) <= tolerance(m), `${r.name} ${device} ${key}: estimated ${e.toFixed(1)} MiB, llama.cpp ${m} MiB`);
}

test('fault: at -ngl 0 llama.cpp still reserves a GPU compute buffer (op offload of big batches), and the estimate has it', async (t) => {
  const r = await measure(t, { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 0' });
  if (!r) return;
  const gpu = r.devices.find((d) => d.name === 'Vulkan0');
  assert.ok(gpu && gpu.measured.computeMiB > 64, `llama.cpp reserves ${gpu?.measured.computeMiB} MiB on the GPU`);
  within(r, 'Vulkan0', 'computeMiB');
  within(r, 'Host', 'computeMiB');
});

test('fault: partial and full offload size the GPU and the host compute buffers as llama.cpp does', async (t) => {
  for (const flags of ['-ngl 10', '-ngl 33', '-ngl 20 -fa off']) {
    const r = await measure(t, { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags });
    if (!r) return;
    within(r, 'Vulkan0', 'computeMiB');
    within(r, 'Host', 'computeMiB');
  }
});

test('fault: experts in RAM do not add the largest CPU weight to the GPU compute buffer', async (t) => {
  // Mixtral's expert tensors (252-368 MiB) are over lavapipe's limit: their matmuls stay on the CPU, nothing is copied.
  const r = await measure(t, { model: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 33 --cpu-moe' });
  if (!r) return;
  within(r, 'Vulkan0', 'computeMiB');
  within(r, 'Host', 'modelMiB');
  // Experts small enough for the GPU are copied there for big batches: that copy is in the buffer too.
  const small = await measure(t, { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 9 --cpu-moe' });
  if (!small) return;
  within(small, 'Vulkan0', 'computeMiB');
});

test('fault: a tensor over the device limit stays in host memory, as llama.cpp places it', async (t) => {
  const c: MatrixCase = { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 33' };
  const r = await measure(t, c);
  if (!r || !vk.device) return;
  assert.equal(vk.device.maxTensorBytes, 128 * 1024 * 1024, "the probe measures lavapipe's 128 MiB");
  within(r, 'Vulkan0', 'modelMiB');
  within(r, 'Host', 'modelMiB');
  // output.weight (Q6_K, 410 MiB) is the tensor refused; without the limit the estimate would put it on the GPU.
  const header = await readGgufHeader(await stubFor(dir.path, c));
  const limited = estimateMemory(header, { contextSize: 4096, gpuLayers: 33, devices: [vk.device] });
  const unlimited = estimateMemory(header, { contextSize: 4096, gpuLayers: 33, devices: [{ ...vk.device, maxTensorBytes: undefined }] });
  assert.deepEqual(limited.refusedTensors, ['output.weight']);
  assert.ok((unlimited.devices[0]?.modelMiB ?? 0) - (limited.devices[0]?.modelMiB ?? 0) > 400);
});
