// ggml-backend's scheduler (ggml/src/ggml-backend.cpp, ggml_backend_sched_split_graph) on a shape-only
// graph: which backend runs each op, where the graph splits between backends, and the copies of
// split inputs that the destination backend's compute buffer holds (a CPU weight copied to a GPU for
// a big batch, the mask and the embeddings copied from the CPU, logits copied back).
import { isViewOp, nbytes, nrows, type Tensor, type TensorBuffer } from './ggml';

/** One backend, as the scheduler asks about it. The CPU backend is always the last one. */
export interface SchedBackend {
  /** GPU index, or -1 for the CPU. */
  readonly device: number;
  supportsOp(op: Tensor): boolean;
  /** Whether the backend wants an op whose weight is in host memory (big batches). */
  offloadOp(op: Tensor): boolean;
  /** The backend's graph_optimize: the order it runs a split's nodes in (Vulkan reorders). */
  readonly optimize?: (nodes: readonly Tensor[]) => Tensor[];
  /** The backend's graph_optimize asking to keep tensors alive until a node ran (CUDA's fused MoE sum). */
  readonly allocDeps?: (nodes: readonly Tensor[]) => Map<Tensor, Tensor[]>;
}

/** The graph as the allocator sees it: split inputs' copies included, each tensor with its backend. */
export interface SplitGraph {
  readonly nodes: Tensor[];
  readonly nodeBackend: number[];
  readonly leafs: Tensor[];
  readonly leafBackend: number[];
  readonly splits: number;
  /** One more than the largest tensor id, copies included: the allocator indexes its state by id. */
  readonly idLimit: number;
}

const MAX_SPLIT_INPUTS = 30;

/** A GPU backend limited only by the largest tensor it accepts (Vulkan: maxStorageBufferRange). */
export function gpuBackend(
  device: number,
  maxTensorBytes: number,
  graphOptimize: Pick<SchedBackend, 'optimize' | 'allocDeps'> = {},
  minBatch = 32,
): SchedBackend {
  return {
    ...graphOptimize,
    device,
    supportsOp: maxTensorBytes === Infinity ? () => true : (op) => nbytes(op) <= maxTensorBytes && op.src.every((s) => !s || nbytes(s) <= maxTensorBytes),
    offloadOp: (op) => batchSize(op) >= minBatch,
  };
}

export const CPU_BACKEND: SchedBackend = { device: -1, supportsOp: () => true, offloadOp: () => false };

/** ggml_vk_get_op_batch_size / CUDA's get_op_batch_size. */
function batchSize(op: Tensor): number {
  if (op.op === 'GET_ROWS') return 0;
  if (op.op === 'MUL_MAT') return op.ne[1];
  if (op.op === 'MUL_MAT_ID' || op.op === 'ROPE') return op.ne[2];
  return nrows(op);
}

function bufferOf(t: Tensor): TensorBuffer | undefined {
  return t.viewSrc ? t.viewSrc.buffer : t.buffer;
}

/**
 * Assigns backends and splits the graph, as ggml_backend_sched_split_graph does (one copy per
 * input, no pipeline parallelism). `pinned` are llama.cpp's own assignments (the layer norms of a
 * fully offloaded model).
 */
export function splitGraph(
  nodes: readonly Tensor[],
  leafs: readonly Tensor[],
  backends: readonly SchedBackend[],
  pinned: ReadonlyMap<Tensor, number>,
  opOffload = true,
): SplitGraph {
  const cpu = backends.length - 1;
  // Backend per tensor id (-1: none yet); graphs have thousands of tensors, so an array, not a map.
  let nextId = 0;
  for (const t of nodes) nextId = Math.max(nextId, t.id + 1);
  for (const t of leafs) nextId = Math.max(nextId, t.id + 1);
  const backendIds = new Array<number>(nextId).fill(-1);
  for (const [t, b] of pinned) backendIds[t.id] = b;
  const get = (t: Tensor | undefined): number => (t ? (backendIds[t.id] ?? -1) : -1);
  const backendOf = { set: (t: Tensor, b: number): void => void (backendIds[t.id] = b) };
  const supportsBuft = (b: number, buf: TensorBuffer): boolean => (b === cpu ? buf.device < 0 : buf.device === backends[b]!.device);
  // The buffer type of backend b's compute buffer: a GPU's own memory, or host memory for the CPU.
  const computeBuffer = (b: number): TensorBuffer => ({ device: backends[b]!.device, weights: false, repack: false });

  const fromBuffer = (t: Tensor, op: Tensor): number => {
    const buf = bufferOf(t);
    if (!buf) return -1;
    return backends.findIndex((be, i) => supportsBuft(i, buf) && be.supportsOp(op));
  };
  const bufferSupported = (t: Tensor, b: number): boolean => {
    let buf = bufferOf(t);
    if (!buf) {
      let id = get(t);
      if (id < 0 && t.viewSrc) id = get(t.viewSrc);
      if (id >= 0) buf = computeBuffer(id);
    }
    return buf !== undefined && supportsBuft(b, buf);
  };
  const fromCur = (t: Tensor): number => {
    let id = fromBuffer(t, t);
    if (id >= 0) return id;
    if (t.viewSrc) {
      id = fromBuffer(t.viewSrc, t);
      if (id >= 0) return id;
    }
    if (bufferOf(t)) return -1;
    if (t.input) return cpu;
    if (t.op === 'ROPE' || t.op === 'FLASH_ATTN_EXT') return -1;
    for (const src of t.src) {
      if (!src?.buffer?.weights) continue;
      const srcBackend = fromBuffer(src, t);
      if (opOffload && srcBackend === cpu && !src.buffer.repack) {
        for (let b = 0; b < srcBackend; b++) {
          if (backends[b]!.supportsOp(t) && backends[b]!.offloadOp(t)) return b;
        }
      }
      return srcBackend;
    }
    return -1;
  };
  const setIfSupported = (node: Tensor, b: number): void => {
    if (backends[b]!.supportsOp(node)) backendOf.set(node, b);
  };

  // Pass 1: tensors with pre-allocated inputs.
  for (const t of [...leafs, ...nodes]) if (get(t) < 0) backendOf.set(t, fromCur(t));

  // Pass 2: expand GPU assignments down and up, then the rest down and up.
  const expand = (order: readonly Tensor[], skipCpu: boolean): void => {
    let cur = -1;
    for (const node of order) {
      if (isViewOp(node.op)) continue;
      const id = get(node);
      if (id >= 0) cur = skipCpu && id === cpu ? -1 : id;
      else if (cur >= 0) setIfSupported(node, cur);
    }
  };
  const reversed = [...nodes].reverse();
  expand(nodes, true);
  expand(reversed, true);
  expand(nodes, false);
  expand(reversed, false);

  // Pass 3: unassigned nodes go to the backend that supports most of their inputs.
  for (const node of nodes) {
    if (isViewOp(node.op) || get(node) >= 0) continue;
    let best = -1;
    backends.forEach((be, b) => {
      if (!be.supportsOp(node)) return;
      const n = node.src.filter((s) => s && (get(s) >= 0 || get(s.viewSrc) >= 0) && bufferSupported(s, b)).length;
      if (n > best) {
        best = n;
        backendOf.set(node, b);
      }
    });
  }

  // Pass 4: views and remaining sources.
  for (const node of nodes) {
    if (node.viewSrc && get(node) < 0) backendOf.set(node, get(node.viewSrc));
    for (const src of node.src) {
      if (!src || get(src) >= 0) continue;
      backendOf.set(src, src.viewSrc ? get(src.viewSrc) : get(node));
    }
    for (let b = 0; b < backends.length && get(node) < 0; b++) setIfSupported(node, b);
  }

  // Pass 5: splits, and a copy of every input that the split's backend cannot read where it is.
  // A copy is made once per backend and reused by later splits on that backend.
  const copies = new Map<Tensor, Map<number, Tensor>>();
  const splits: { start: number; backend: number; copies: { input: Tensor; copy: Tensor }[] }[] = [];
  let inputs = 0;
  nodes.forEach((node, i) => {
    if (isViewOp(node.op)) return;
    const id = get(node);
    let split = splits[splits.length - 1];
    let newSplit = !split || id !== split.backend;
    if (split && !newSplit && inputs > 0) {
      const cur = split.backend;
      for (const src of node.src) {
        if (!src) continue;
        if (src.buffer?.weights && get(src) !== cur && !bufferSupported(src, cur)) {
          newSplit = true;
          break;
        }
        if (inputs >= MAX_SPLIT_INPUTS && get(src) !== cur && !copies.get(src)?.has(cur) && !bufferSupported(src, cur)) {
          newSplit = true;
          break;
        }
      }
    }
    if (newSplit || !split) {
      split = { start: splits.length === 0 ? 0 : i, backend: id, copies: [] };
      splits.push(split);
      inputs = 0;
    }
    const cur = split.backend;
    node.src.forEach((s, j) => {
      if (!s || get(s) === cur || bufferSupported(s, cur)) return;
      let perBackend = copies.get(s);
      if (!perBackend) {
        perBackend = new Map();
        copies.set(s, perBackend);
      }
      let copy = perBackend.get(cur);
      if (!copy) {
        copy = { ...s, id: nextId++, name: `${cur}#${s.name}#0`, op: 'NONE', src: [], viewSrc: undefined, input: false, output: false, buffer: undefined, ne: [...s.ne], nb: [...s.nb] };
        perBackend.set(cur, copy);
        split.copies.push({ input: s, copy });
        inputs++;
      }
      node.src[j] = copy;
    });
  });

  // The graph copy: each split's input copies first (with a dependency keeping the source alive
  // until the copy is made), then its nodes in the order its backend runs them.
  const outNodes: Tensor[] = [];
  const outBackend: number[] = [];
  splits.forEach((split, k) => {
    for (const { input, copy } of split.copies) {
      const dep: Tensor = { ...input, id: nextId++, name: `${input.name} (dep)`, op: 'NONE', src: [input], viewSrc: input.viewSrc ?? input, input: false, output: false, buffer: undefined };
      outNodes.push(dep, copy);
      outBackend.push(get(input), split.backend);
    }
    const range = nodes.slice(split.start, splits[k + 1]?.start ?? nodes.length);
    const backend = backends[split.backend];
    const ordered = backend?.optimize ? backend.optimize(range) : range;
    const deps = backend?.allocDeps?.(ordered);
    for (const node of ordered) {
      outNodes.push(node);
      outBackend.push(get(node));
      const keep = deps?.get(node);
      if (keep) {
        // The dependency node: a view of the first kept tensor whose sources are all of them.
        const first = keep[0]!;
        outNodes.push({ ...first, id: nextId++, name: `${node.name} (keep)`, op: 'NONE', src: [...keep], viewSrc: first.viewSrc ?? first, input: false, output: false, buffer: undefined });
        outBackend.push(split.backend);
      }
    }
  });
  return { nodes: outNodes, nodeBackend: outBackend, leafs: [...leafs], leafBackend: leafs.map(get), splits: splits.length, idLimit: nextId };
}
