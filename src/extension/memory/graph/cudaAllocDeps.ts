// ggml-cuda's graph_optimize (ggml_backend_cuda_graph_optimize): where an MoE layer's weighted sum
// (MUL of the experts' outputs by their router weights, one VIEW per expert, the ADD chain) can be
// fused into one kernel, the backend asks the scheduler to keep the experts' outputs and the weights
// alive until the last ADD (ggml_cuda_match_moe_weighted_reduction: 2 to 15 experts used).
import { isContiguous, type Tensor } from './ggml';

const MAX_EXPERTS = 15;

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.ne.every((n, i) => n === b.ne[i]);
}

/** For each fused sum's last ADD, the tensors to keep alive until it ran. */
export function cudaAllocDeps(nodes: readonly Tensor[]): Map<Tensor, Tensor[]> {
  const deps = new Map<Tensor, Tensor[]>();
  for (let i = 0; i < nodes.length; i++) {
    const mul = nodes[i]!;
    if (mul.op !== 'MUL' || !isContiguous(mul)) continue;
    const [a, b] = mul.src;
    const isExperts = (t: Tensor | undefined): t is Tensor => t !== undefined && isContiguous(t) && sameShape(t, mul);
    const isWeights = (t: Tensor | undefined): t is Tensor => t !== undefined && isContiguous(t) && t.ne[0] === 1 && t.ne[1] === mul.ne[1] && t.ne[2] === mul.ne[2] && t.ne[3] === mul.ne[3];
    const experts = isExperts(a) && isWeights(b) ? a : isExperts(b) && isWeights(a) ? b : undefined;
    const weights = experts === a ? b : a;
    const used = mul.ne[1];
    if (!experts || !weights || used < 2 || used > MAX_EXPERTS) continue;
    const count = 2 * used - 1;
    if (i + count >= nodes.length) continue;
    const views = nodes.slice(i + 1, i + 1 + used);
    const adds = nodes.slice(i + 1 + used, i + count + 1);
    if (!views.every((v) => v.op === 'VIEW' && v.src[0] === mul) || !adds.every((x) => x.op === 'ADD')) continue;
    const last = adds[adds.length - 1];
    if (last) deps.set(last, [experts, weights]);
  }
  return deps;
}
