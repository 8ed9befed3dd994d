// A shape-only model of ggml's tensors and graphs (ggml/src/ggml.c of the bundled llama.cpp): each
// function here builds the tensor its ggml namesake builds (type, ne, nb, view source, op, sources in
// the same order), without data. Enough of ggml for ggml-alloc's and the scheduler's view of a graph.
import { GGML_TYPES, GgmlType } from '../../gguf/ggmlTypes';

export type GgmlOp =
  | 'NONE' | 'GET_ROWS' | 'SET_ROWS' | 'RMS_NORM' | 'ADD' | 'MUL' | 'DIV' | 'SCALE' | 'CLAMP' | 'SUM_ROWS'
  | 'MUL_MAT' | 'MUL_MAT_ID' | 'ROPE' | 'VIEW' | 'RESHAPE' | 'PERMUTE' | 'TRANSPOSE' | 'CONT' | 'CPY'
  | 'CONCAT' | 'REPEAT' | 'FLASH_ATTN_EXT' | 'SOFT_MAX' | 'GLU' | 'UNARY' | 'ARGSORT';

/** ggml_is_view_op: the ops the scheduler's expansion passes skip. */
export function isViewOp(op: GgmlOp): boolean {
  return op === 'VIEW' || op === 'RESHAPE' || op === 'PERMUTE' || op === 'TRANSPOSE';
}

export const I32 = 26;
export const I64 = 27;

/** Where a pre-allocated tensor (a weight, the KV cache) lives: a GPU's index, or -1 for host memory. */
export interface TensorBuffer {
  readonly device: number;
  /** GGML_BACKEND_BUFFER_USAGE_WEIGHTS: the scheduler places ops next to their weights. */
  readonly weights: boolean;
  /** CPU_REPACK: a CPU "extra" buffer type, not host memory as far as ggml-backend is concerned. */
  readonly repack: boolean;
}

export type Dims = [number, number, number, number];

export interface Tensor {
  readonly id: number;
  name: string;
  readonly type: number;
  ne: Dims;
  nb: Dims;
  op: GgmlOp;
  readonly src: (Tensor | undefined)[];
  /** The root tensor whose memory this view uses (ggml flattens views of views). */
  readonly viewSrc: Tensor | undefined;
  input: boolean;
  output: boolean;
  buffer: TensorBuffer | undefined;
}

const typeInfo = new Map(GGML_TYPES.map((t) => [t.id, t]));

export function typeSize(type: number): number {
  const info = typeInfo.get(type);
  if (!info) throw new RangeError(`unknown ggml type ${type}`);
  return info.typeSize;
}

export function blockSize(type: number): number {
  const info = typeInfo.get(type);
  if (!info) throw new RangeError(`unknown ggml type ${type}`);
  return info.blockSize;
}

/** ggml_row_size. */
export function rowSize(type: number, n: number): number {
  return (typeSize(type) * n) / blockSize(type);
}

/** ggml_nbytes: the span of memory the tensor's elements cover. */
export function nbytes(t: Tensor): number {
  if (t.ne.some((n) => n <= 0)) return 0;
  const blck = blockSize(t.type);
  let bytes = blck === 1 ? typeSize(t.type) : (t.ne[0] * t.nb[0]) / blck;
  for (let i = blck === 1 ? 0 : 1; i < 4; i++) bytes += (t.ne[i]! - 1) * t.nb[i]!;
  return bytes;
}

export function nrows(t: Tensor): number {
  return t.ne[1] * t.ne[2] * t.ne[3];
}

/** ggml_are_same_layout. */
export function sameLayout(a: Tensor, b: Tensor): boolean {
  return a.type === b.type && a.ne.every((n, i) => n === b.ne[i] && a.nb[i] === b.nb[i]);
}

export function isContiguous(t: Tensor): boolean {
  let next = typeSize(t.type);
  for (let i = 0; i < 4; i++) {
    if (t.ne[i] !== 1 && t.nb[i] !== next) return false;
    next *= i === 0 ? t.ne[0] / blockSize(t.type) : t.ne[i]!;
  }
  return true;
}

/** The tensors of one graph: ggml_new_tensor and the ops that llama.cpp's graph builders use. */
export class GgmlContext {
  private nextId = 0;

  /** ggml_new_tensor_impl: contiguous strides; a view of a view points at the root. */
  newTensor(type: number, ne: readonly number[], viewSrc?: Tensor): Tensor {
    const dims: Dims = [ne[0] ?? 1, ne[1] ?? 1, ne[2] ?? 1, ne[3] ?? 1];
    const nb: Dims = [typeSize(type), 0, 0, 0];
    nb[1] = nb[0] * (dims[0] / blockSize(type));
    nb[2] = nb[1] * dims[1];
    nb[3] = nb[2] * dims[2];
    return {
      id: this.nextId++,
      name: '',
      type,
      ne: dims,
      nb,
      op: 'NONE',
      src: [],
      viewSrc: viewSrc?.viewSrc ?? viewSrc,
      input: false,
      output: false,
      buffer: undefined,
    };
  }

  /** A model weight or cache tensor, already in a buffer. */
  preallocated(name: string, type: number, ne: readonly number[], buffer: TensorBuffer): Tensor {
    const t = this.newTensor(type, ne);
    t.name = name;
    t.buffer = buffer;
    return t;
  }

  input(name: string, type: number, ne: readonly number[]): Tensor {
    const t = this.newTensor(type, ne);
    t.name = name;
    t.input = true;
    return t;
  }

  private op(result: Tensor, op: GgmlOp, ...src: (Tensor | undefined)[]): Tensor {
    result.op = op;
    result.src.push(...src);
    return result;
  }

  dup(a: Tensor): Tensor {
    return this.newTensor(a.type, a.ne);
  }

  /** ggml_view_tensor: same shape and strides, op NONE. */
  viewTensor(a: Tensor): Tensor {
    const t = this.newTensor(a.type, a.ne, a);
    t.nb = [...a.nb];
    return t;
  }

  view(a: Tensor, ne: readonly number[], nb: readonly number[]): Tensor {
    const t = this.newTensor(a.type, ne, a);
    const dims = t.ne;
    const strides: Dims = [typeSize(a.type), nb[0] ?? 0, nb[1] ?? 0, nb[2] ?? 0];
    if (ne.length <= 1) strides[1] = t.nb[1];
    if (ne.length <= 2) strides[2] = strides[1] * dims[1];
    if (ne.length <= 3) strides[3] = strides[2] * dims[2];
    t.nb = strides;
    return this.op(t, 'VIEW', a);
  }

  reshape(a: Tensor, ne: readonly number[]): Tensor {
    return this.op(this.newTensor(a.type, ne, a), 'RESHAPE', a);
  }

  permute(a: Tensor, ax0: number, ax1: number, ax2: number, ax3: number): Tensor {
    const t = this.viewTensor(a);
    const axes = [ax0, ax1, ax2, ax3];
    axes.forEach((axis, i) => {
      t.ne[axis] = a.ne[i]!;
      t.nb[axis] = a.nb[i]!;
    });
    return this.op(t, 'PERMUTE', a);
  }

  transpose(a: Tensor): Tensor {
    const t = this.viewTensor(a);
    t.ne = [a.ne[1], a.ne[0], a.ne[2], a.ne[3]];
    t.nb = [a.nb[1], a.nb[0], a.nb[2], a.nb[3]];
    return this.op(t, 'TRANSPOSE', a);
  }

  cont(a: Tensor, ne: readonly number[] = a.ne): Tensor {
    return this.op(this.newTensor(a.type, ne), 'CONT', a);
  }

  /** ggml_cast: a new tensor whose second source is itself. */
  cast(a: Tensor, type: number): Tensor {
    const t = this.op(this.newTensor(type, a.ne), 'CPY', a);
    t.src.push(t);
    return t;
  }

  getRows(a: Tensor, b: Tensor): Tensor {
    return this.op(this.newTensor(a.type === I32 ? I32 : GgmlType.F32, [a.ne[0], b.ne[0], b.ne[1], b.ne[2]]), 'GET_ROWS', a, b);
  }

  /** ggml_set_rows(a, b, c): a view of the destination a; sources b, c, a. */
  setRows(a: Tensor, b: Tensor, c: Tensor): Tensor {
    return this.op(this.viewTensor(a), 'SET_ROWS', b, c, a);
  }

  rmsNorm(a: Tensor): Tensor {
    return this.op(this.dup(a), 'RMS_NORM', a);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.op(this.dup(a), 'ADD', a, b);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.op(this.dup(a), 'MUL', a, b);
  }

  div(a: Tensor, b: Tensor): Tensor {
    return this.op(this.dup(a), 'DIV', a, b);
  }

  scale(a: Tensor): Tensor {
    return this.op(this.dup(a), 'SCALE', a);
  }

  clamp(a: Tensor): Tensor {
    return this.op(this.dup(a), 'CLAMP', a);
  }

  unary(a: Tensor): Tensor {
    return this.op(this.dup(a), 'UNARY', a);
  }

  sumRows(a: Tensor): Tensor {
    return this.op(this.newTensor(a.type, [1, a.ne[1], a.ne[2], a.ne[3]]), 'SUM_ROWS', a);
  }

  mulMat(a: Tensor, b: Tensor): Tensor {
    return this.op(this.newTensor(GgmlType.F32, [a.ne[1], b.ne[1], b.ne[2], b.ne[3]]), 'MUL_MAT', a, b);
  }

  mulMatId(as: Tensor, b: Tensor, ids: Tensor): Tensor {
    return this.op(this.newTensor(GgmlType.F32, [as.ne[1], ids.ne[0], b.ne[2], 1]), 'MUL_MAT_ID', as, b, ids);
  }

  rope(a: Tensor, pos: Tensor, factors?: Tensor): Tensor {
    return this.op(this.dup(a), 'ROPE', a, pos, factors);
  }

  concat(a: Tensor, b: Tensor, dim: number): Tensor {
    const ne = a.ne.map((n, d) => (d === dim ? n + b.ne[d]! : n));
    return this.op(this.newTensor(a.type, ne), 'CONCAT', a, b);
  }

  repeat(a: Tensor, ne: readonly number[]): Tensor {
    return this.op(this.newTensor(a.type, ne), 'REPEAT', a);
  }

  flashAttnExt(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | undefined): Tensor {
    return this.op(this.newTensor(GgmlType.F32, [v.ne[0], q.ne[2], q.ne[1], q.ne[3]]), 'FLASH_ATTN_EXT', q, k, v, mask);
  }

  softMax(a: Tensor, mask?: Tensor): Tensor {
    return this.op(this.dup(a), 'SOFT_MAX', a, mask);
  }

  /** ggml_glu_impl: with b (the _split variants) the shape of a, else half of a's rows. */
  glu(a: Tensor, b?: Tensor): Tensor {
    const ne = b ? a.ne : [a.ne[0] / 2, a.ne[1], a.ne[2], a.ne[3]];
    return this.op(this.newTensor(a.type, ne), 'GLU', a, b);
  }

  argsort(a: Tensor): Tensor {
    return this.op(this.newTensor(I32, a.ne), 'ARGSORT', a);
  }

  /** ggml_argsort_top_k: the first k columns of a descending argsort. */
  argsortTopK(a: Tensor, k: number): Tensor {
    const sorted = this.argsort(a);
    return this.view(sorted, [k, sorted.ne[1], sorted.ne[2], sorted.ne[3]], [sorted.nb[1], sorted.nb[2], sorted.nb[3]]);
  }
}

/** A ggml_cgraph: nodes in execution order and leafs, as ggml_build_forward_expand visits them. */
export class GgmlGraph {
  readonly nodes: Tensor[] = [];
  readonly leafs: Tensor[] = [];
  private readonly visited = new Set<Tensor>();

  /** ggml_build_forward_expand: sources first (left to right), then the tensor. */
  expand(t: Tensor): void {
    // An explicit stack instead of recursion: graphs of 80-layer models run thousands of tensors deep.
    const stack: { t: Tensor; next: number }[] = [];
    const enter = (x: Tensor): void => {
      if (this.visited.has(x)) return;
      this.visited.add(x);
      stack.push({ t: x, next: 0 });
    };
    enter(t);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.t.src.length) {
        const s = top.t.src[top.next++];
        if (s) enter(s);
        continue;
      }
      stack.pop();
      if (top.t.op === 'NONE') this.leafs.push(top.t);
      else this.nodes.push(top.t);
    }
  }
}
