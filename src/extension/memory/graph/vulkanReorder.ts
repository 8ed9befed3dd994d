// ggml-vulkan's graph_optimize (ggml_vk_graph_optimize): before the scheduler allocates a Vulkan split,
// the backend reorders its nodes so independent ops run together (up to 20 nodes ahead) while fusable
// chains (RMS_NORM+MUL, MUL_MAT+ADD, ROPE+VIEW+SET_ROWS, the MoE top-k chains) stay contiguous. The
// order decides which tensors are alive together, so the compute buffer depends on it.
import type { GgmlOp, Tensor } from './ggml';

const LOOKAHEAD = 20;

/** The MoE routing chains ggml-vulkan fuses (topk_moe_*), kept in order. */
const KEEP_PATTERNS: readonly (readonly GgmlOp[])[] = [
  ['SOFT_MAX', 'RESHAPE', 'ARGSORT', 'VIEW', 'GET_ROWS', 'RESHAPE', 'SUM_ROWS', 'CLAMP', 'DIV', 'RESHAPE'],
  ['UNARY', 'RESHAPE', 'ADD', 'ARGSORT', 'VIEW', 'GET_ROWS', 'RESHAPE', 'SUM_ROWS', 'CLAMP', 'DIV', 'RESHAPE'],
  ['SOFT_MAX', 'RESHAPE', 'ARGSORT', 'VIEW', 'GET_ROWS'],
  ['ARGSORT', 'VIEW', 'GET_ROWS', 'RESHAPE', 'SOFT_MAX', 'RESHAPE'],
];

/** Fusions a node may join even though it reads the previous one. */
const FUSED_PAIRS: readonly (readonly [GgmlOp, GgmlOp])[] = [
  ['RMS_NORM', 'MUL'],
  ['MUL_MAT', 'ADD'],
  ['MUL_MAT_ID', 'MUL'],
  ['ADD', 'ADD'],
];

function isEmpty(t: Tensor): boolean {
  return t.op === 'NONE' || t.op === 'RESHAPE' || t.op === 'TRANSPOSE' || t.op === 'VIEW' || t.op === 'PERMUTE';
}

function base(t: Tensor): Tensor {
  return t.viewSrc ?? t;
}

/** Whether dst depends on src, directly or through memory a view shares. */
function isSrcOf(dst: Tensor, src: Tensor): boolean {
  const n = Math.max(dst.src.length, src.src.length);
  for (let s = 0; s < n; s++) {
    const ds = dst.src[s];
    if (ds === src) return true;
    if (isEmpty(dst) || isEmpty(src)) continue;
    if (ds && base(ds) === base(src)) return true;
    const ss = src.src[s];
    if (ss && base(dst) === base(ss)) return true;
  }
  return base(dst) === base(src);
}

/** The split's nodes in the order ggml-vulkan runs (and the allocator sees) them. */
export function vulkanReorder(nodes: readonly Tensor[]): Tensor[] {
  const n = nodes.length;
  const used = new Array<boolean>(n).fill(false);
  const done = new Set<Tensor>();
  const order: Tensor[] = [];
  const at = (i: number): Tensor => nodes[i]!;
  const matches = (pattern: readonly GgmlOp[], start: number): boolean =>
    start + pattern.length <= n && pattern.every((op, j) => at(start + j).op === op && !used[start + j]);
  let first = 0;
  const advance = (): void => {
    while (first < n && used[first]) first++;
  };
  while (first < n) {
    const kept = KEEP_PATTERNS.find((p) => matches(p, first));
    if (kept) {
      for (let j = 0; j < kept.length; j++) {
        order.push(at(first + j));
        done.add(at(first + j));
        used[first + j] = true;
      }
      advance();
      continue;
    }
    const set: number[] = [first];
    const end = Math.min(first + LOOKAHEAD, n);
    for (let j = first + 1; j < end; j++) {
      if (used[j] || isEmpty(at(j))) continue;
      if (KEEP_PATTERNS.some((p) => matches(p, j))) continue;
      let ok = true;
      for (let c = first; c < j; c++) {
        if (used[c] || !isSrcOf(at(j), at(c))) continue;
        const fused = j === c + 1 && c === set[set.length - 1] && FUSED_PAIRS.some(([a, b]) => at(c).op === a && at(j).op === b);
        if (!fused) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      set.push(j);
      let ropeIdx = j;
      // RMS_NORM + MUL: pull in the ROPE that reads it.
      if (at(j).op === 'MUL' && j > 0 && at(j - 1).op === 'RMS_NORM') {
        for (let k = j + 1; k < Math.min(j + 15, n); k++) {
          const r = at(k);
          if (r.op === 'ROPE' && r.src[0] === at(j) && r.src[1]?.op === 'NONE' && (!r.src[2] || r.src[2].op === 'NONE')) {
            ropeIdx = k;
            set.push(k);
            used[k] = true;
            break;
          }
        }
      }
      // ROPE + VIEW + SET_ROWS: made consecutive (RoPE writes straight into the cache).
      if (at(ropeIdx).op === 'ROPE') {
        let viewIdx = -1;
        let setRowsIdx = -1;
        for (let k = ropeIdx + 1; k < Math.min(ropeIdx + 10, n); k++) {
          if (viewIdx === -1 && at(k).op === 'VIEW' && at(k).src[0] === at(ropeIdx)) {
            viewIdx = k;
            continue;
          }
          if (viewIdx !== -1 && at(k).op === 'SET_ROWS' && at(k).src[0] === at(viewIdx)) {
            setRowsIdx = k;
            break;
          }
        }
        if (setRowsIdx !== -1) {
          set.push(viewIdx, setRowsIdx);
          used[viewIdx] = true;
          used[setRowsIdx] = true;
        }
      }
      // MUL_MAT + ADD + ADD.
      if (j > 0 && at(j).op === 'ADD' && at(j - 1).op === 'MUL_MAT') {
        for (let k = j + 1; k < Math.min(j + 15, n); k++) {
          const a = at(k);
          const s1 = a.src[1];
          if (a.op === 'ADD' && a.src[0] === at(j) && s1 && (s1.op === 'NONE' || done.has(s1))) {
            set.push(k);
            used[k] = true;
            break;
          }
        }
      }
    }
    // Views whose sources are ready, unless that would split an ADD from what it fuses with.
    if (at(set[set.length - 1]!).op !== 'ADD') {
      for (let j = first + 1; j < end; j++) {
        if (used[j] || !isEmpty(at(j))) continue;
        let ok = true;
        for (let c = first; c < j; c++) {
          if (!used[c] && isSrcOf(at(j), at(c)) && !set.includes(c)) {
            ok = false;
            break;
          }
        }
        if (ok) set.push(j);
      }
    }
    for (const c of set) {
      order.push(at(c));
      done.add(at(c));
      used[c] = true;
    }
    advance();
  }
  return order;
}
