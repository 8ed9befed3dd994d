// ggml-alloc's graph allocator (ggml/src/ggml-alloc.c, ggml_gallocr_reserve_n_size) on a shape-only
// graph: the compute buffer of each backend is the high-water mark of its dynamic allocator, which
// hands out best-fit free blocks, reuses a parent's memory for in-place ops, and frees a tensor
// after its last consumer ran.
import { nbytes, sameLayout, type GgmlOp, type Tensor } from './ggml';

/** One backend buffer type's allocator settings. */
export interface BufferSpec {
  readonly alignment: number;
  /** get_max_size: a buffer larger than this is split into chunks (Vulkan: 1 GiB). */
  readonly maxChunk: number;
}

interface FreeBlock {
  offset: number;
  size: number;
}

interface Chunk {
  readonly blocks: FreeBlock[];
  maxSize: number;
}

interface Address {
  readonly chunk: number;
  readonly offset: number;
}

const GGML_VBUFFER_MAX_CHUNKS = 16;
const HUGE = Number.MAX_SAFE_INTEGER / 4;

/** ggml_dyn_tallocr. */
class DynAllocator {
  readonly chunks: Chunk[] = [];

  constructor(private readonly spec: BufferSpec) {}

  private align(size: number): number {
    const a = this.spec.alignment;
    return Math.ceil(size / a) * a;
  }

  private newChunk(minSize: number): number {
    if (this.chunks.length >= GGML_VBUFFER_MAX_CHUNKS) return -1;
    const size = this.chunks.length === GGML_VBUFFER_MAX_CHUNKS - 1 ? HUGE : Math.max(minSize, this.spec.maxChunk);
    this.chunks.push({ blocks: [{ offset: 0, size }], maxSize: 0 });
    return this.chunks.length - 1;
  }

  alloc(rawSize: number): Address {
    const size = this.align(rawSize);
    let bestChunk = -1;
    let bestBlock = -1;
    // Best fit among the free blocks, the last block of each chunk aside.
    this.chunks.forEach((chunk, c) => {
      let bestSize = Infinity;
      for (let i = 0; i < chunk.blocks.length - 1; i++) {
        const block = chunk.blocks[i]!;
        if (block.size >= size && block.size <= bestSize) {
          bestChunk = c;
          bestBlock = i;
          bestSize = block.size;
        }
      }
    });
    if (bestBlock < 0) {
      // The last block: the one that grows the chunk least (or wastes least).
      let bestReuse = -Infinity;
      this.chunks.forEach((chunk, c) => {
        const block = chunk.blocks[chunk.blocks.length - 1];
        if (!block) return;
        const reuse = chunk.maxSize - block.offset - size;
        const betterReuse = bestReuse < 0 && reuse > bestReuse;
        const betterFit = reuse >= 0 && reuse < bestReuse;
        if (block.size >= size && (betterReuse || betterFit)) {
          bestChunk = c;
          bestBlock = chunk.blocks.length - 1;
          bestReuse = reuse;
        }
      });
    }
    if (bestBlock < 0) {
      bestChunk = this.newChunk(size);
      bestBlock = 0;
    }
    const chunk = this.chunks[bestChunk];
    if (!chunk) throw new RangeError('graph allocation ran out of chunks');
    const block = chunk.blocks[bestBlock]!;
    const addr = { chunk: bestChunk, offset: block.offset };
    block.offset += size;
    block.size -= size;
    if (block.size === 0) chunk.blocks.splice(bestBlock, 1);
    chunk.maxSize = Math.max(chunk.maxSize, addr.offset + size);
    return addr;
  }

  free(addr: Address, rawSize: number): void {
    const size = this.align(rawSize);
    const chunk = this.chunks[addr.chunk]!;
    const blocks = chunk.blocks;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      if (block.offset + block.size === addr.offset) {
        block.size += size;
        const next = blocks[i + 1];
        if (next && block.offset + block.size === next.offset) {
          block.size += next.size;
          blocks.splice(i + 1, 1);
        }
        return;
      }
      if (addr.offset + size === block.offset) {
        block.offset = addr.offset;
        block.size += size;
        const prev = blocks[i - 1];
        if (prev && prev.offset + prev.size === block.offset) {
          prev.size += block.size;
          blocks.splice(i, 1);
        }
        return;
      }
    }
    let at = 0;
    while (at < blocks.length && blocks[at]!.offset < addr.offset) at++;
    blocks.splice(at, 0, { offset: addr.offset, size });
  }

  /** Sum of the chunks' high-water marks: what ggml_gallocr_reserve_n_size reports. */
  size(): number {
    return this.chunks.reduce((a, c) => a + c.maxSize, 0);
  }
}

/** ggml_op_can_inplace: ops that may write over their first suitable source. */
const INPLACE_OPS: ReadonlySet<GgmlOp> = new Set<GgmlOp>(['SCALE', 'ADD', 'MUL', 'DIV', 'UNARY', 'ROPE', 'RMS_NORM', 'CLAMP', 'SOFT_MAX']);

/**
 * The bytes each buffer (one per backend) needs for the graph, as ggml_gallocr_reserve_n_size
 * computes them. nodeBuffer[i] / leafBuffer[i] say which buffer node i / leaf i is allocated in;
 * tensor ids are below idLimit (the allocator's state is indexed by id).
 */
export function reserveSizes(
  nodes: readonly Tensor[],
  leafs: readonly Tensor[],
  nodeBuffer: readonly number[],
  leafBuffer: readonly number[],
  specs: readonly BufferSpec[],
  idLimit: number,
  /** Diagnostics: told of every allocation and free, with the buffer and its size after it. */
  trace?: (event: 'alloc' | 'free', t: Tensor, bufferId: number, bufferSize: number) => void,
): number[] {
  const allocators = specs.map((s) => new DynAllocator(s));
  // ggml-alloc's hash_node, per tensor id.
  const nChildren = new Int32Array(idLimit);
  const nViews = new Int32Array(idLimit);
  const bufferOf = new Int32Array(idLimit).fill(-1);
  const addrChunk = new Int32Array(idLimit).fill(-1);
  const addrOffset = new Float64Array(idLimit);
  const allocated = new Uint8Array(idLimit);
  const addrOf = (t: Tensor): Address | undefined => (addrChunk[t.id]! >= 0 ? { chunk: addrChunk[t.id]!, offset: addrOffset[t.id]! } : undefined);
  const setAddr = (t: Tensor, bufferId: number, addr: Address | undefined): void => {
    bufferOf[t.id] = bufferId;
    addrChunk[t.id] = addr ? addr.chunk : -1;
    addrOffset[t.id] = addr ? addr.offset : 0;
  };
  const isOwn = (t: Tensor): boolean => allocated[t.id] === 1;
  // Weights and the KV cache sit in their own buffers; views are never allocated themselves.
  const isAllocated = (t: Tensor): boolean => t.buffer !== undefined || isOwn(t);

  const freeExtraSpace = (node: Tensor, parent: Tensor): void => {
    const bufferId = bufferOf[parent.id]!;
    const addr = addrOf(parent);
    const align = specs[bufferId]!.alignment;
    const parentSize = Math.ceil(nbytes(parent) / align) * align;
    const nodeSize = Math.ceil(nbytes(node) / align) * align;
    if (parentSize > nodeSize && addr) allocators[bufferId]!.free({ chunk: addr.chunk, offset: addr.offset + nodeSize }, parentSize - nodeSize);
  };

  const allocateNode = (node: Tensor, bufferId: number): void => {
    if (isAllocated(node) || node.viewSrc !== undefined) return;
    allocated[node.id] = 1;
    if (INPLACE_OPS.has(node.op)) {
      for (const parent of node.src) {
        if (!parent || !isOwn(parent)) continue;
        if (parent.output || parent.viewSrc?.output) continue;
        if (!sameLayout(node, parent)) continue;
        if (nChildren[parent.id] !== 1 || nViews[parent.id] !== 0) continue;
        const vs = parent.viewSrc;
        if (vs) {
          // (ggml also compares view_src->data with parent->data; while reserving both are still NULL.)
          if (nViews[vs.id] !== 1 || nChildren[vs.id] !== 0) continue;
          allocated[parent.id] = 0;
          allocated[vs.id] = 0;
          setAddr(node, bufferOf[parent.id]!, addrOf(parent));
          freeExtraSpace(node, vs);
          trace?.('free', vs, bufferOf[node.id]!, allocators[bufferOf[node.id]!]!.size());
          trace?.('alloc', node, bufferOf[node.id]!, allocators[bufferOf[node.id]!]!.size());
          return;
        }
        allocated[parent.id] = 0;
        setAddr(node, bufferOf[parent.id]!, addrOf(parent));
        freeExtraSpace(node, parent);
        trace?.('free', parent, bufferOf[node.id]!, allocators[bufferOf[node.id]!]!.size());
        trace?.('alloc', node, bufferOf[node.id]!, allocators[bufferOf[node.id]!]!.size());
        return;
      }
    }
    setAddr(node, bufferId, allocators[bufferId]!.alloc(nbytes(node)));
    trace?.('alloc', node, bufferId, allocators[bufferId]!.size());
  };

  const freeNode = (node: Tensor): void => {
    if (node.output) return;
    const bufferId = bufferOf[node.id]!;
    const addr = addrOf(node);
    if (addr) allocators[bufferId]!.free(addr, nbytes(node));
    allocated[node.id] = 0;
    trace?.('free', node, bufferId, allocators[bufferId]!.size());
  };

  leafs.forEach((leaf, i) => allocateNode(leaf, leafBuffer[i]!));

  nodes.forEach((node, i) => {
    if (node.viewSrc && node.op !== 'NONE') nViews[node.viewSrc.id]!++;
    if (node.input) allocateNode(node, nodeBuffer[i]!);
    for (const src of node.src) {
      if (!src) continue;
      nChildren[src.id]!++;
      if (src.input) allocateNode(src, nodeBuffer[i]!);
    }
  });

  nodes.forEach((node, i) => {
    const bufferId = nodeBuffer[i]!;
    for (const parent of node.src) if (parent) allocateNode(parent, bufferId);
    allocateNode(node, bufferId);
    for (const parent of node.src) {
      if (!parent) continue;
      const children = --nChildren[parent.id]!;
      if (children !== 0 || nViews[parent.id] !== 0) continue;
      const vs = parent.viewSrc;
      if (vs) {
        const views = --nViews[vs.id]!;
        if (views === 0 && nChildren[vs.id] === 0 && allocated[vs.id] === 1) freeNode(vs);
      } else if (allocated[parent.id] === 1) {
        freeNode(parent);
      }
    }
  });

  return allocators.map((a) => a.size());
}
