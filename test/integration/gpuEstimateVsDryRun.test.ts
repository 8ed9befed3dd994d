// The estimator against the Vulkan build's dry run on Mesa's lavapipe, per device (Vulkan0 and host)
// and per component: GPU splits at -ngl 0, partial and full offload, experts in RAM, flash attention
// on and off, quantized caches, six architectures, and tensors over the device's limit. Locally the
// test is skipped without a Vulkan build; under CI (which builds it) a missing build fails it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { failures, runCase } from './estimateMatrix';
import { VULKAN_MATRIX, vulkanBuild } from './gpuEstimateMatrix';
import { tempDir } from './realServer';
import { requireTool } from '../fixtures/requireTool';

for (const heldBack of [false, true]) {
  const cases = VULKAN_MATRIX.filter((c) => (c.heldBack === true) === heldBack);
  test(`estimator vs Vulkan dry run on lavapipe, ${heldBack ? 'held-back' : 'development'} cases (${cases.length}): every device and component within 5% or 32 MiB`, async (t) => {
    const dir = tempDir('gpu-estimate');
    try {
      const vk = await vulkanBuild(dir.path);
      const missing = requireTool('the Vulkan llama.cpp build', vk.build !== undefined, vk.missing ?? '');
      if (!vk.build) {
        t.skip(missing);
        return;
      }
      assert.equal(vk.device?.maxTensorBytes, 128 * 1024 * 1024, 'the probe measures lavapipe\'s maxStorageBufferRange');
      const failed: string[] = [];
      for (const c of cases) {
        const r = await runCase(vk.build, dir.path, c);
        assert.equal(r.devices.length, 2, `${r.name}: a Vulkan0 row and a host row`);
        failed.push(...failures(r));
      }
      assert.deepEqual(failed, []);
    } finally {
      dir.dispose();
    }
  });
}
