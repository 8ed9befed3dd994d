// The compute-buffer replay (src/extension/memory/graph/) piece by piece, on small hand-made graphs
// whose buffers can be worked out by hand from ggml-alloc's and the scheduler's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType } from '../../src/extension/gguf/ggmlTypes';
import { reserveSizes, type BufferSpec } from '../../src/extension/memory/graph/allocator';
import { GgmlContext, GgmlGraph, type Tensor } from '../../src/extension/memory/graph/ggml';
import { CPU_BACKEND, gpuBackend, splitGraph } from '../../src/extension/memory/graph/scheduler';
import { vulkanReorder } from '../../src/extension/memory/graph/vulkanReorder';
import { computeSchedule } from '../../src/extension/memory/estimate';
import { modelShape } from '../../src/extension/memory/modelShape';
import { sparseHeader } from '../../src/extension/gguf/writer/sparseHeader';

const KiB = 1024;
const CPU_ONLY: BufferSpec[] = [{ alignment: 32, maxChunk: Infinity }];
const GPU_AND_CPU: BufferSpec[] = [{ alignment: 32, maxChunk: Infinity }, { alignment: 32, maxChunk: Infinity }];

function graphOf(...outputs: Tensor[]): GgmlGraph {
  const g = new GgmlGraph();
  for (const t of outputs) g.expand(t);
  return g;
}

const hostWeight = { device: -1, weights: true, repack: false } as const;

test('allocator: a tensor is freed after its last consumer, so a chain needs two buffers, not one per op', () => {
  const ctx = new GgmlContext();
  const x = ctx.input('x', GgmlType.F32, [256, 4]); // 4 KiB
  let cur = x;
  // mul_mat is not in-place: each output is new, and the input before it is freed once read.
  for (let i = 0; i < 8; i++) cur = ctx.mulMat(ctx.preallocated(`w${i}`, GgmlType.F32, [256, 256], hostWeight), cur);
  const g = graphOf(cur);
  const [bytes] = reserveSizes(g.nodes, g.leafs, g.nodes.map(() => 0), g.leafs.map(() => 0), CPU_ONLY, 100);
  // The input and each product are freed once read: two 4 KiB blocks, used in turn.
  assert.equal(bytes, 2 * 4 * KiB);
});

test('allocator: an in-place op (rms_norm, mul, add...) reuses its only parent, an output is never freed or reused', () => {
  const ctx = new GgmlContext();
  const w = ctx.preallocated('w', GgmlType.F32, [256, 256], hostWeight);
  const x = ctx.input('x', GgmlType.F32, [256, 4]);
  const y = ctx.mulMat(w, x);
  const z = ctx.rmsNorm(y); // reuses y
  const out = ctx.mulMat(w, z);
  const g = graphOf(out);
  const size = (): number => reserveSizes(g.nodes, g.leafs, g.nodes.map(() => 0), g.leafs.map(() => 0), CPU_ONLY, 100)[0]!;
  assert.equal(size(), 2 * 4 * KiB, 'x, then y and z in its place, then out where x was');
  y.output = true;
  assert.equal(size(), 3 * 4 * KiB, 'an output parent is neither overwritten nor freed: z and out need blocks of their own');
});

test('scheduler: a big batch whose weight is in host memory runs on the GPU with the weight copied into its compute buffer', () => {
  for (const [tokens, offloaded] of [[512, true], [16, false]] as const) {
    const ctx = new GgmlContext();
    const w = ctx.preallocated('w', GgmlType.F32, [1024, 1024], hostWeight); // 4 MiB in RAM
    const x = ctx.input('x', GgmlType.F32, [1024, tokens]);
    const y = ctx.mulMat(w, x);
    const g = graphOf(y);
    const split = splitGraph(g.nodes, g.leafs, [gpuBackend(0, Infinity), CPU_BACKEND], new Map());
    const [gpu = 0, host = 0] = reserveSizes(split.nodes, split.leafs, split.nodeBackend, split.leafBackend, GPU_AND_CPU, split.idLimit);
    const activation = 1024 * tokens * 4;
    if (offloaded) {
      // The input and the weight are copied to the GPU, where the product is made.
      assert.equal(gpu, 4 * 1024 * KiB + 2 * activation);
      assert.equal(host, activation);
    } else {
      assert.equal(gpu, 0, 'a small batch stays with its weight on the CPU');
      assert.equal(host, 2 * activation);
    }
  }
});

test('scheduler: an op on a tensor larger than the GPU takes runs on the CPU, with its inputs copied back', () => {
  const ctx = new GgmlContext();
  const gpuWeight = { device: 0, weights: true, repack: false } as const;
  const w = ctx.preallocated('w', GgmlType.F32, [64, 65536], gpuWeight); // 16 MiB, on the GPU
  const x = ctx.input('x', GgmlType.F32, [64, 512]);
  const logits = ctx.mulMat(w, x); // [65536, 512] f32: 128 MiB
  const g = graphOf(logits);
  const limit = 64 * 1024 * KiB;
  const split = splitGraph(g.nodes, g.leafs, [gpuBackend(0, limit), CPU_BACKEND], new Map());
  assert.deepEqual(split.nodeBackend.filter((_, i) => split.nodes[i]!.op === 'MUL_MAT'), [1], 'the product runs on the CPU');
  const [gpu = 0, host = 0] = reserveSizes(split.nodes, split.leafs, split.nodeBackend, split.leafBackend, GPU_AND_CPU, split.idLimit);
  assert.equal(gpu, 0);
  assert.equal(host, 128 * 1024 * KiB + 16 * 1024 * KiB + 64 * 512 * 4, 'the logits, the weight copied back, the input');
});

test('vulkan reorder: independent ops run together, a fused RMS_NORM + MUL stays in order', () => {
  const ctx = new GgmlContext();
  const x = ctx.input('x', GgmlType.F32, [256, 4]);
  const n = ctx.rmsNorm(x);
  const normed = ctx.mul(n, ctx.preallocated('g', GgmlType.F32, [256], hostWeight));
  const q = ctx.mulMat(ctx.preallocated('wq', GgmlType.F32, [256, 256], hostWeight), normed);
  const qAct = ctx.unary(q);
  const k = ctx.mulMat(ctx.preallocated('wk', GgmlType.F32, [256, 256], hostWeight), normed);
  const out = ctx.add(qAct, k);
  const g = graphOf(out);
  assert.deepEqual(g.nodes.map((t) => t.op), ['RMS_NORM', 'MUL', 'MUL_MAT', 'UNARY', 'MUL_MAT', 'ADD']);
  // The k product does not read q, so it joins q's; the unary op waits for q.
  assert.deepEqual(vulkanReorder(g.nodes).map((t) => t.op), ['RMS_NORM', 'MUL', 'MUL_MAT', 'MUL_MAT', 'UNARY', 'ADD']);
});

test("cuda: each MoE layer's weighted sum keeps the experts' outputs and weights alive until its last ADD (fusion)", async () => {
  const shape = modelShape(await sparseHeader('qwen3-30b-a3b', 'Q4_K_M'));
  const keeps = (backend: 'cuda' | 'vulkan'): Tensor[][] =>
    computeSchedule(shape, { contextSize: 4096, devices: [{ name: 'g', freeMiB: 80000, backend }] })
      .nodes.filter((t) => t.name.endsWith('(keep)'))
      .map((t) => t.src.filter((s): s is Tensor => s !== undefined));
  const cuda = keeps('cuda');
  assert.equal(cuda.length, shape.nLayer);
  // The experts' outputs [n_embd, n_expert_used, n_tokens] and their weights [1, n_expert_used, n_tokens].
  assert.deepEqual(cuda[0]?.map((t) => t.ne), [[2048, 8, 512, 1], [1, 8, 512, 1]]);
  assert.equal(keeps('vulkan').length, 0);
});
