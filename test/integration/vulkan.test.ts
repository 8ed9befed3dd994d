// The GPU path on a real Vulkan device: Mesa's lavapipe, a Vulkan implementation on the CPU with a 2 GiB heap (and
// 128 MiB per storage buffer, so the models here keep every tensor below that, as a real GPU would place them).
// llama.cpp skips CPU-type Vulkan devices unless GGML_VK_VISIBLE_DEVICES names them; every child Headroom starts
// inherits it. Needs llama.cpp's Vulkan build in the cache (`headroom build --backend vulkan`; CI builds it).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { listBuildDevices } from '../../src/extension/llama/listDevices';
import { SystemHardwareProbe, vramReadings } from '../../src/extension/memory/hardware';
import { plan } from '../../src/extension/memory/plan';
import type { MemoryParts } from '../../src/extension/memory/planTypes';
import { planJson } from '../../src/extension/present/planJson';
import { statusBarContent } from '../../src/extension/present/statusBarText';
import { serverView } from '../../src/extension/present/serverView';
import { exactPlan } from '../../src/extension/runner/exactPlan';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import { itemAt } from '../fixtures/itemAt';
import { REPO, withVulkanModels } from './vulkanFixture';


interface PlanJsonDevice extends MemoryParts {
  name: string;
  totalMiB: number;
  freeMiB: number;
  estimate: MemoryParts;
}

describe('the GPU path on Vulkan (Mesa lavapipe)', () => {
  const fx = withVulkanModels('vulkan');

  test('--list-devices through Headroom: llvmpipe, 2048 MiB, planned for as read at start', async (t) => {
    const vk = fx.vulkan(t);
    if (!vk) return;
    const devices = await listBuildDevices(vk.server);
    assert.equal(devices.length, 1, JSON.stringify(devices));
    const [device] = devices;
    assert.equal(device?.name, 'Vulkan0');
    assert.match(device?.description ?? '', /^llvmpipe\b/);
    assert.equal(device?.totalMiB, 2048);
    assert.deepEqual(fx.hardware.gpus.map((g) => [g.name, g.totalMiB, g.source]), [[device?.description, 2048, 'llama.cpp']]);
  });

  test('the planner puts layers on it: all of the tiny model, a share of the 860 MiB one', async (t) => {
    if (!fx.vulkan(t)) return;
    const small = plan(await readGgufHeader(fx.tiny), fx.hardware);
    assert.deepEqual(small.gpuLayers, { onGpu: 5, total: 5 });
    const bigger = plan(await readGgufHeader(fx.mid), fx.hardware, { cacheTypeK: 'f16', cacheTypeV: 'f16' });
    assert.ok(bigger.gpuLayers.onGpu > 0 && bigger.gpuLayers.onGpu < 17, `${bigger.gpuLayers.onGpu} of 17 layers within 1 GiB (2 GiB less the margin)`);
    assert.ok(itemAt(bigger.devices, 0).modelMiB > 100);
  });

  test('the exact plan: the dry run splits per device (Vulkan0 model/context/compute MiB), and plan --json shows estimate and measurement', async (t) => {
    const vk = fx.vulkan(t);
    if (!vk) return;
    const report = await exactPlan({ modelPath: fx.mid, header: await readGgufHeader(fx.mid), hardware: fx.hardware, wishes: {}, fitParams: vk.fitParams, binary: vk.server });
    assert.equal(report.plan.source, 'dry-run');
    const json = JSON.parse(JSON.stringify(planJson(report))) as { devices: PlanJsonDevice[]; host: MemoryParts & { estimate: MemoryParts }; gpuLayers: { onGpu: number } };
    const d = itemAt(json.devices, 0);
    process.stdout.write(`# Vulkan0 measured ${d.modelMiB}/${d.contextMiB}/${d.computeMiB} MiB, estimated ${d.estimate.modelMiB}/${d.estimate.contextMiB}/${d.estimate.computeMiB} MiB (model/context/compute), ${json.gpuLayers.onGpu}/17 layers\n`);
    assert.equal(d.name, 'Vulkan0');
    assert.equal(d.totalMiB, 2048);
    assert.ok(d.modelMiB > 100 && d.contextMiB > 0 && d.computeMiB > 0, JSON.stringify(d));
    for (const key of ['modelMiB', 'contextMiB', 'computeMiB'] as const) {
      assert.equal(typeof d.estimate[key], 'number', key);
      assert.equal(typeof json.host.estimate[key], 'number', key);
    }
    // The weights on the device are a sum of tensor sizes: the estimate and the measurement agree to the MiB.
    assert.ok(Math.abs(d.estimate.modelMiB - d.modelMiB) <= 1, `${d.estimate.modelMiB} vs ${d.modelMiB}`);
    assert.ok(d.modelMiB + d.contextMiB + d.computeMiB <= 2048 - 1024, 'within the device less its margin');
    assert.ok(report.plan.reasons.some((r) => new RegExp(`^${json.gpuLayers.onGpu} of 17 layers on the GPU`).test(r)), report.plan.reasons.join('\n'));
  });

  test('a real load of the tiny model with every layer on Vulkan0 streams a reply; the status bar shows its VRAM', async (t) => {
    const vk = fx.vulkan(t);
    if (!vk) return;
    const lines: string[] = [];
    const probe = new SystemHardwareProbe();
    const runner = new ModelRunner({ cacheRoot: fx.dir, sourceFrom: REPO, llamaServerPath: () => vk.server, onServerLine: (l) => lines.push(l), stopGraceMs: 3_000 }, probe);
    try {
      // -lv 4: llama-server then logs where load_tensors put the layers.
      const { server } = await runner.start({ modelPath: fx.tiny, wishes: { contextSize: 512 }, port: 0, extraArgs: ['-lv', '4'] });
      const report = runner.plan;
      assert.ok(report);
      assert.deepEqual(report.plan.gpuLayers, { onGpu: 5, total: 5 });
      assert.equal(itemAt(report.plan.devices, 0).name, 'Vulkan0');
      assert.ok(lines.some((l) => /load_tensors: offloaded 5\/5 layers to GPU/.test(l)), 'llama-server offloaded every layer');
      assert.ok(lines.some((l) => /load_tensors:\s+Vulkan0 model buffer size =\s+[\d.]+ MiB/.test(l)), 'the weights went to Vulkan0');
      let text = '';
      const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
      for await (const delta of client.stream({ messages: [{ role: 'user', content: 'Hello' }], maxTokens: 8, seed: 1 })) {
        if (delta.kind === 'text') text += delta.text;
      }
      assert.ok(text.length > 0, 'a streamed reply');
      const facts = await probe.sample();
      const content = statusBarContent({
        state: { kind: 'ready', model: 'tiny', contextSize: server.contextSize, baseUrl: server.baseUrl, pid: server.pid, args: server.args },
        view: serverView({ kind: 'ready', model: 'tiny', contextSize: server.contextSize, baseUrl: server.baseUrl, pid: server.pid, args: server.args }),
        memory: { facts, serverRssMiB: await probe.processRssMiB(server.pid), readings: vramReadings(report.hardware.gpus, facts) },
        tokensPerSecond: null,
        alerts: [],
        plan: report,
      });
      process.stdout.write(`# status bar: ${content.text}\n`);
      assert.match(content.text, /· VRAM \d+\.\d\/2\.0 GiB at start$/);
      assert.match(content.tooltip, /VRAM on llvmpipe .* when the server started/);
    } finally {
      await runner.stop();
      runner.dispose();
    }
  });
});
