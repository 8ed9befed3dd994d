// The tuner on a real Vulkan device, Mesa's lavapipe (2 GiB, 128 MiB per buffer; see vulkan.test.ts). Its speed says
// nothing about a real GPU: these tests check that the search stays within the device's memory, as llama.cpp's own
// dry run measures each candidate, and that the remembered winner is used at the next start.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { dryRun } from '../../src/extension/llama/dryRun';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { modelShape } from '../../src/extension/memory/modelShape';
import { plan } from '../../src/extension/memory/plan';
import { exactPlan } from '../../src/extension/runner/exactPlan';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { tuneCandidates } from '../../src/extension/runner/tuning/tuneCandidates';
import { wishesOf } from '../../src/extension/runner/tuning/tuneSettings';
import { TuneStore } from '../../src/extension/runner/tuning/tuneStore';
import { REPO, withVulkanModels } from './vulkanFixture';

const MARGIN_MIB = 1024;

describe('tuning on Vulkan (Mesa lavapipe)', () => {
  const fx = withVulkanModels('vulkan-tune');

  test('every candidate around a partial offload fits Vulkan0 (2 GiB less the margin) as llama.cpp\'s dry run measures it', async (t) => {
    const vk = fx.vulkan(t);
    if (!vk) return;
    const header = await readGgufHeader(fx.mid);
    const wishes = { cacheTypeK: 'f16', cacheTypeV: 'f16' } as const;
    const report = await exactPlan({ modelPath: fx.mid, header, hardware: fx.hardware, wishes, fitParams: vk.fitParams, binary: vk.server });
    const base = report.plan;
    assert.ok(base.gpuLayers.onGpu > 0 && base.gpuLayers.onGpu < base.gpuLayers.total, `a partial offload: ${base.gpuLayers.onGpu}/${base.gpuLayers.total}`);
    const { candidates, skipped } = tuneCandidates({ shape: modelShape(header), hardware: fx.hardware, wishes, base, llamaCppFit: report.llamaCppFit, goal: 'prompt', promptTokens: 8192 });
    assert.ok(candidates.some((c) => c.label.startsWith('-ngl ')), 'layers near the fit point are tried');
    process.stdout.write(`# ${candidates.length} candidates, ${skipped.length} left out: ${skipped.join(' | ')}\n`);
    for (const c of candidates.slice(1)) {
      const p = plan(header, fx.hardware, { ...wishes, ...wishesOf(c.settings) });
      const measured = await dryRun(vk.fitParams, fx.mid, [...p.args, '--ctx-size', String(p.contextSize)]);
      const d = measured.devices[0];
      assert.ok(d, `${c.label}: a Vulkan0 row`);
      const used = d.modelMiB + d.contextMiB + d.computeMiB;
      assert.ok(used <= 2048 - MARGIN_MIB, `${c.label}: ${used} MiB on Vulkan0`);
    }
  });

  test('tune on Vulkan0, then a fresh start uses the remembered -ngl and threads', async (t) => {
    const vk = fx.vulkan(t);
    if (!vk) return;
    const store = new TuneStore(fx.dir);
    const runnerFor = (): ModelRunner => new ModelRunner({ cacheRoot: fx.dir, sourceFrom: REPO, llamaServerPath: () => vk.server, stopGraceMs: 3_000 }, new SystemHardwareProbe(), store);
    const tuner = runnerFor();
    let settings;
    try {
      const report = await tuner.tune({ modelPath: fx.tiny, wishes: { contextSize: 512 }, goal: 'generation', budgetSeconds: 15, promptTokens: 32, genTokens: 16, repetitions: 2 });
      settings = report.remembered.settings;
      assert.equal(typeof settings.gpuLayers, 'number', 'the GPU layers are part of what is remembered');
      assert.ok((settings.gpuLayers ?? 99) <= 5);
    } finally {
      tuner.dispose();
    }
    const fresh = runnerFor();
    try {
      const { server } = await fresh.start({ modelPath: fx.tiny, wishes: { contextSize: 512 }, port: 0, extraArgs: [] });
      const at = (flag: string): string | undefined => server.args[server.args.indexOf(flag) + 1];
      assert.equal(at('-ngl'), String(settings.gpuLayers), server.args.join(' '));
      assert.equal(at('-t'), String(settings.threads));
      assert.ok(fresh.plan?.plan.reasons.some((r) => r.startsWith('Measured fastest on this machine')));
    } finally {
      await fresh.stop();
      fresh.dispose();
    }
  });
});
