// The estimator on the architectures beyond llama: sliding-window caches (gemma3), MLA's compressed
// K-only cache (deepseek2), tied embeddings, and weights a device refuses. The expected numbers are
// worked out from llama.cpp's rules (src/llama-kv-cache-iswa.cpp, llama-kv-cache.cpp, llama-model-loader.cpp);
// the integration matrices check the same against llama.cpp's dry run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory, slidingCells } from '../../src/extension/memory/estimate';
import { modelShape } from '../../src/extension/memory/modelShape';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';

const MiB = 1024 * 1024;

test('gemma3: five of every six layers cache only the window plus a batch (padded to 256)', async () => {
  assert.equal(slidingCells(1024, 8192, 512), 1536);
  assert.equal(slidingCells(1024, 1024, 512), 1024, 'never more than the context');
  const shape = modelShape(await sparseHeader('gemma3-4b', 'Q4_K_M'));
  assert.deepEqual(shape.graph?.slidingWindow, { window: 1024, pattern: 6 });
  // 34 layers: 5 global (5, 11, 17, 23, 29) at 8192 cells, 29 sliding at 1536; K+V = 2 * 4 heads * 256 * 2 bytes per cell.
  const e = estimateMemory(shape, { contextSize: 8192 });
  assert.equal(e.host.contextMiB, ((5 * 8192 + 29 * 1536) * 4096) / MiB);
});

test("gemma3 under llama-server's -np auto (4 sequences, one unified cache): a window per sequence", async () => {
  // llama-server logged "creating SWA KV cache, size = 2560 cells" for a 512-token window at -c 8192 (4 * 512 + 512).
  assert.equal(slidingCells(512, 8192, 512, 4), 2560);
  const shape = modelShape(await sparseHeader('gemma3-4b', 'Q4_K_M'));
  const e = estimateMemory(shape, { contextSize: 8192, sequences: 4 });
  assert.equal(e.host.contextMiB, ((5 * 8192 + 29 * 4608) * 4096) / MiB);
});

test('deepseek2 (MLA): one compressed K row per cell (kv_lora_rank + rope), no V cache', async () => {
  const shape = modelShape(await sparseHeader('deepseek-v2-lite', 'Q4_K_M'));
  assert.deepEqual(shape.graph?.latentAttention, { kvLoraRank: 512, qLoraRank: 0, ropeDim: 64, headDimK: 192, headDimV: 128 });
  const e = estimateMemory(shape, { contextSize: 4096 });
  assert.equal(e.host.contextMiB, (27 * 4096 * 576 * 2) / MiB);
});

test('tied embeddings: the output projection copies token_embd only into another buffer type', async () => {
  const shape = modelShape(await sparseHeader('gemma3-4b', 'Q4_K_M'));
  const embd = shape.tensors.find((t) => t.name === 'token_embd.weight')!.bytes / MiB;
  // CPU only: token_embd is mmapped for the lookup, and repacked a second time for the output matmul.
  const cpu = estimateMemory(shape, { contextSize: 4096 });
  const q8 = estimateMemory(modelShape(await sparseHeader('gemma3-4b', 'Q8_0')), { contextSize: 4096 });
  assert.ok(cpu.hostRepackMiB >= embd, 'the Q4_K copy is repacked');
  assert.ok(Math.abs(q8.host.modelMiB - modelShape(await sparseHeader('gemma3-4b', 'Q8_0')).totalBytes / MiB) < 0.01, 'Q8_0 is not repacked on x86: one shared tensor');
  // On a GPU the copy is the output device's.
  const gpu = estimateMemory(shape, { contextSize: 4096, devices: [{ name: 'g', freeMiB: 24000 }] });
  assert.ok(Math.abs((gpu.devices[0]?.modelMiB ?? 0) + gpu.host.modelMiB - shape.totalBytes / MiB - embd) < 0.01);
});

test('a GPU refuses weights over its largest tensor: they fall back to host memory (CPU_REPACK when the type repacks)', async () => {
  const lavapipe = { name: 'Vulkan0', freeMiB: 2048, maxTensorBytes: 128 * MiB };
  const llama = modelShape(await sparseHeader('llama3-8b', 'Q4_K_M'));
  const e = estimateMemory(llama, { contextSize: 4096, gpuLayers: 33, devices: [lavapipe] });
  // output.weight (Q6_K, 410 MiB); token_embd stays on the CPU anyway.
  assert.deepEqual(e.refusedTensors, ['output.weight']);
  assert.equal(e.hostRepackMiB, 0, 'Q6_K has no x86 repack');
  const gemma = modelShape(await sparseHeader('gemma3-4b', 'Q4_K_M'));
  const g = estimateMemory(gemma, { contextSize: 4096, gpuLayers: 35, devices: [lavapipe] });
  // The tied output copy (Q4_K, 360 MiB) is refused, and repacked in RAM instead.
  assert.deepEqual(g.refusedTensors, ['output.weight']);
  assert.equal(g.hostRepackMiB, gemma.tensors.find((t) => t.name === 'token_embd.weight')!.bytes / MiB);
});

test("llama-server's reserve: one logits row per slot, a sliding window per slot (recorded from its logs)", async () => {
  // llama-server -c 8192 --no-warmup (slots: auto = 4, unified cache) on the small-gemma3 Q8_0 stub, CPU build:
  // "CPU_Mapped model buffer size = 510.31 MiB", KV 64 + 100 MiB, "CPU compute buffer size = 59.52 MiB".
  const gemma = modelShape(await sparseHeader('small-gemma3', 'Q8_0'));
  const server = estimateMemory(gemma, { contextSize: 8192, outputs: 4, sequences: 4 });
  assert.equal(server.host.contextMiB, 164);
  assert.equal(server.host.computeMiB.toFixed(2), '59.52');
  assert.equal(server.host.modelMiB.toFixed(2), '510.31');
  // llama-fit-params reserves logits for every token of the batch: with Llama 3's 128k vocabulary that is most of the buffer.
  const llama3 = modelShape(await sparseHeader('llama3-8b', 'Q4_K_M'));
  const fit = estimateMemory(llama3, { contextSize: 8192 }).host.computeMiB;
  const slots = estimateMemory(llama3, { contextSize: 8192, outputs: 4 }).host.computeMiB;
  assert.ok(fit - slots > 100, `${fit.toFixed(1)} vs ${slots.toFixed(1)} MiB`);
  // The Vulkan build on lavapipe, -ngl 17 -np 1 on small-llama Q8_0: "Vulkan0 compute buffer size = 45.01 MiB", host 12.01.
  const llama = modelShape(await sparseHeader('small-llama', 'Q8_0'));
  const lavapipe = { name: 'Vulkan0', freeMiB: 2048, maxTensorBytes: 128 * MiB, maxBufferBytes: 1024 * MiB, backend: 'vulkan' } as const;
  const vk = estimateMemory(llama, { contextSize: 4096, gpuLayers: 17, outputs: 1, devices: [lavapipe] });
  assert.deepEqual([vk.devices[0]?.computeMiB.toFixed(2), vk.host.computeMiB.toFixed(2)], ['45.01', '12.01']);
});
