// The per-architecture graph builders (src/models/<arch>.cpp): llama (and Mixtral-style MoE), qwen2,
// qwen3 / qwen3moe, gemma3, phi3 and deepseek2; any other architecture is built as llama is, the
// closest shape for the common decoder-only transformer.
import type { Tensor } from './ggml';
import type { LlmGraphBuilder } from './llmGraph';

type ArchBuilder = (b: LlmGraphBuilder, nLayer: number) => void;

/** The last layer keeps only the output rows (build_inp_out_ids: all of them in the reserve graph). */
function lastRows(b: LlmGraphBuilder, il: number, nLayer: number, outIds: Tensor, ...ts: Tensor[]): Tensor[] {
  return il === nLayer - 1 ? ts.map((t) => b.c.getRows(t, outIds)) : ts;
}

/** llama / qwen2 / qwen3 / qwen3moe: pre-norm attention (optional q/k norms) and FFN or MoE. */
function llamaLike(qkNorm: boolean): ArchBuilder {
  return (b, nLayer) => {
    const c = b.c;
    let inpL = b.inpEmbd();
    const pos = b.inpPos();
    const inp = b.attnInputs(b.shapeOf.nCtxKv, true);
    const outIds = b.inpOutIds();
    for (let il = 0; il < nLayer; il++) {
      let inpSA = inpL;
      let cur = b.norm(inpL, b.w(`blk.${il}.attn_norm.weight`), il);
      const qkv = b.qkv(il, cur, b.shapeOf.headDim);
      if (qkNorm) qkv.q = b.norm(qkv.q, b.w(`blk.${il}.attn_q_norm.weight`), il);
      qkv.q = b.rope(qkv.q, pos, il);
      if (qkNorm) qkv.k = b.norm(qkv.k, b.w(`blk.${il}.attn_k_norm.weight`), il);
      qkv.k = b.rope(qkv.k, pos, il);
      cur = b.attnKv(inp, il, qkv, b.w(`blk.${il}.attn_output.weight`)!, b.w(`blk.${il}.attn_output.bias`));
      [cur, inpSA] = lastRows(b, il, nLayer, outIds, cur, inpSA) as [Tensor, Tensor];
      const ffnInp = c.add(cur, inpSA);
      cur = b.norm(ffnInp, b.w(`blk.${il}.ffn_norm.weight`), il);
      cur = b.w(`blk.${il}.ffn_gate_inp.weight`) ? b.moeFfn(cur, il) : b.ffn(cur, il);
      inpL = c.add(cur, ffnInp);
    }
    b.output(inpL);
  };
}

/** gemma3: scaled embeddings, q/k norms, post-attention and post-FFN norms, GELU, sliding windows. */
const gemma3: ArchBuilder = (b, nLayer) => {
  const c = b.c;
  let inpL = c.scale(b.inpEmbd());
  const pos = b.inpPos();
  const base = b.attnInputs(b.shapeOf.nCtxKv, true);
  const swa = b.isSliding ? b.attnInputs(b.shapeOf.nSwaKv, true) : base;
  const outIds = b.inpOutIds();
  for (let il = 0; il < nLayer; il++) {
    let cur = b.norm(inpL, b.w(`blk.${il}.attn_norm.weight`), il);
    const qkv = b.qkv(il, cur, b.shapeOf.headDim);
    qkv.q = b.rope(b.norm(qkv.q, b.w(`blk.${il}.attn_q_norm.weight`), il), pos, il);
    qkv.k = b.rope(b.norm(qkv.k, b.w(`blk.${il}.attn_k_norm.weight`), il), pos, il);
    qkv.q = c.scale(qkv.q);
    cur = b.attnKv(b.slidingLayer(il) ? swa : base, il, qkv, b.w(`blk.${il}.attn_output.weight`)!, undefined);
    [cur, inpL] = lastRows(b, il, nLayer, outIds, cur, inpL) as [Tensor, Tensor];
    cur = b.norm(cur, b.w(`blk.${il}.post_attention_norm.weight`), il);
    const saOut = c.add(cur, inpL);
    cur = b.norm(saOut, b.w(`blk.${il}.ffn_norm.weight`), il);
    cur = b.ffn(cur, il);
    cur = b.norm(cur, b.w(`blk.${il}.post_ffw_norm.weight`), -1);
    inpL = c.add(cur, saOut);
  }
  b.output(inpL);
};

/** phi3: fused QKV, scaled q, fused up+gate with SwiGLU. */
const phi3: ArchBuilder = (b, nLayer) => {
  const c = b.c;
  let inpL = b.inpEmbd();
  const pos = b.inpPos();
  const inp = b.attnInputs(b.shapeOf.nCtxKv, true);
  const outIds = b.inpOutIds();
  for (let il = 0; il < nLayer; il++) {
    let residual = inpL;
    const normed = b.norm(inpL, b.w(`blk.${il}.attn_norm.weight`), il);
    const qkv = b.qkv(il, normed, b.shapeOf.headDim);
    qkv.q = b.rope(qkv.q, pos, il);
    qkv.k = b.rope(qkv.k, pos, il);
    qkv.q = c.scale(qkv.q);
    let cur = b.attnKv(inp, il, qkv, b.w(`blk.${il}.attn_output.weight`)!, b.w(`blk.${il}.attn_output.bias`));
    [cur, residual] = lastRows(b, il, nLayer, outIds, cur, residual) as [Tensor, Tensor];
    cur = c.add(cur, residual);
    residual = cur;
    cur = b.norm(cur, b.w(`blk.${il}.ffn_norm.weight`), il);
    cur = b.w(`blk.${il}.ffn_gate_inp.weight`) ? b.moeFfn(cur, il) : b.ffn(cur, il);
    inpL = c.add(residual, cur);
  }
  b.output(inpL);
};

/** deepseek2 with MLA: compressed KV (a K-only cache), absorbed q, V decompressed after attention. */
const deepseek2: ArchBuilder = (b, nLayer) => {
  const c = b.c;
  const mla = b.factsOf.latentAttention;
  if (!mla) {
    llamaLike(false)(b, nLayer);
    return;
  }
  const s = b.shapeOf;
  const nHead = s.nHead;
  const nTokens = s.nTokens;
  const nope = mla.headDimK - mla.ropeDim;
  let inpL = b.inpEmbd();
  const pos = b.inpPos();
  const inp = b.attnInputs(s.nCtxKv, false);
  const outIds = b.inpOutIds();
  for (let il = 0; il < nLayer; il++) {
    let inpSA = inpL;
    let cur = b.norm(inpL, b.w(`blk.${il}.attn_norm.weight`), il);
    let q: Tensor;
    const wq = b.w(`blk.${il}.attn_q.weight`);
    if (wq) {
      q = c.mulMat(wq, cur);
    } else {
      q = c.mulMat(b.w(`blk.${il}.attn_q_a.weight`)!, cur);
      q = b.norm(q, b.w(`blk.${il}.attn_q_a_norm.weight`), il);
      q = c.mulMat(b.w(`blk.${il}.attn_q_b.weight`)!, q);
    }
    q = c.reshape(q, [mla.headDimK, nHead, nTokens]);
    const kvPe = c.mulMat(b.w(`blk.${il}.attn_kv_a_mqa.weight`)!, cur);
    const row = kvPe.nb[1];
    let kvCmpr = c.view(kvPe, [mla.kvLoraRank, nTokens], [row]);
    let kPe = c.view(kvPe, [mla.ropeDim, 1, nTokens], [row, row]);
    kPe = b.rope(kPe, pos, il);
    kvCmpr = b.norm(kvCmpr, b.w(`blk.${il}.attn_kv_a_norm.weight`), il);
    let qNope = c.view(q, [nope, nHead, nTokens], [q.nb[1], q.nb[2]]);
    let qPe = c.view(q, [mla.ropeDim, nHead, nTokens], [q.nb[1], q.nb[2]]);
    qPe = b.rope(qPe, pos, il);
    qNope = c.permute(qNope, 0, 2, 1, 3);
    let absorbed = c.mulMat(b.w(`blk.${il}.attn_k_b.weight`)!, qNope);
    absorbed = c.permute(absorbed, 0, 2, 1, 3);
    const qCur = c.concat(absorbed, qPe, 0);
    kvCmpr = c.reshape(kvCmpr, [mla.kvLoraRank, 1, nTokens]);
    const kCur = c.concat(kvCmpr, kPe, 0);
    cur = b.attnK(inp, il, { q: qCur, k: kCur, v: kvCmpr }, b.w(`blk.${il}.attn_output.weight`)!, b.w(`blk.${il}.attn_v_b.weight`)!);
    [cur, inpSA] = lastRows(b, il, nLayer, outIds, cur, inpSA) as [Tensor, Tensor];
    const ffnInp = c.add(cur, inpSA);
    cur = b.norm(ffnInp, b.w(`blk.${il}.ffn_norm.weight`), il);
    if (il < b.factsOf.denseLeadLayers) {
      cur = b.ffn(cur, il);
    } else {
      const moe = b.moeFfn(cur, il);
      cur = b.factsOf.sharedExperts > 0 ? c.add(moe, b.sharedExpertFfn(cur, il)) : moe;
    }
    inpL = c.add(cur, ffnInp);
  }
  b.output(inpL);
};

const BUILDERS: Readonly<Record<string, ArchBuilder>> = {
  llama: llamaLike(false),
  qwen2: llamaLike(false),
  qwen3: llamaLike(true),
  qwen3moe: llamaLike(true),
  gemma3,
  phi3,
  deepseek2,
};

/** The architectures whose graphs are built op for op; others get llama's. */
export const EXACT_ARCHITECTURES: readonly string[] = Object.keys(BUILDERS);

export function buildArchGraph(arch: string, b: LlmGraphBuilder, nLayer: number): void {
  (BUILDERS[arch] ?? llamaLike(false))(b, nLayer);
}
