// llama.cpp's graph builders (src/llama-graph.cpp llm_graph_context, src/models/<arch>.cpp) on shapes
// only: the worst-case prompt-processing graph that sched_reserve sizes the compute buffers with
// (n_ubatch tokens, n_ubatch outputs, the whole KV cache), op for op and in the same order.
import { GgmlType } from '../../gguf/ggmlTypes';
import { isSlidingLayer, type GraphFacts } from '../graphFacts';
import type { ModelShape, ShapedTensor } from '../modelShape';
import { GgmlContext, GgmlGraph, I32, I64, isContiguous, rowSize, type Tensor, type TensorBuffer } from './ggml';

export interface GraphConfig {
  /** n_ubatch (the reserve graph's tokens). */
  readonly nTokens: number;
  /** Rows of logits the graph keeps: n_outputs_max (llama-fit-params: n_batch, so every token; llama-server: one per slot). */
  readonly nOutputs: number;
  /** KV cells of the full cache and of the sliding-window cache. */
  readonly nKv: number;
  readonly nKvSwa: number;
  readonly flashAttn: boolean;
  readonly typeK: number;
  readonly typeV: number;
  /** Where layer il's KV cache lives: a GPU index, or -1. */
  kvDevice(il: number): number;
  /** Where a weight lives, by name; undefined when the model has no such tensor. */
  weightBuffer(name: string): TensorBuffer | undefined;
  /** Called for each layer's "norm" tensors: llama.cpp pins them to the layer's device on full offload. */
  onNorm(t: Tensor, il: number): void;
}

export interface BuiltGraph {
  readonly graph: GgmlGraph;
}

interface Qkv {
  q: Tensor;
  k: Tensor;
  v: Tensor;
}

interface AttnInputs {
  kIdxs: Tensor;
  vIdxs: Tensor | undefined;
  mask: Tensor;
  kRot: Tensor | undefined;
  vRot: Tensor | undefined;
}

const indexes = new WeakMap<ModelShape, ReadonlyMap<string, ShapedTensor>>();

/** The model's tensors by name (built once per shape: graphs look weights up by name thousands of times). */
function tensorsByName(shape: ModelShape): ReadonlyMap<string, ShapedTensor> {
  let index = indexes.get(shape);
  if (!index) {
    index = new Map(shape.tensors.map((t) => [t.name, t]));
    indexes.set(shape, index);
  }
  return index;
}

/** The graph of one model and configuration. */
export class LlmGraphBuilder {
  private readonly ctx = new GgmlContext();
  readonly graph = new GgmlGraph();
  private readonly weights = new Map<string, Tensor | null>();
  private readonly caches = new Map<string, Tensor>();
  private readonly nTokens: number;
  private readonly byName: ReadonlyMap<string, ShapedTensor>;

  constructor(
    private readonly shape: ModelShape,
    private readonly facts: GraphFacts,
    private readonly cfg: GraphConfig,
  ) {
    this.nTokens = cfg.nTokens;
    this.byName = tensorsByName(shape);
  }

  private expand(t: Tensor): void {
    this.graph.expand(t);
  }

  private name(t: Tensor, name: string, il: number): Tensor {
    t.name = il >= 0 ? `${name}-${il}` : name;
    return t;
  }

  /** A model weight (type and dims from the file), or undefined if the file has none. */
  w(name: string): Tensor | undefined {
    const found = this.weights.get(name);
    if (found !== undefined) return found ?? undefined;
    const info = this.byName.get(name);
    const buffer = info ? this.cfg.weightBuffer(name) : undefined;
    const t = info && buffer ? this.ctx.preallocated(name, info.type, info.dims, buffer) : undefined;
    this.weights.set(name, t ?? null);
    return t;
  }

  private need(name: string): Tensor {
    const t = this.w(name);
    if (!t) throw new RangeError(`the model has no ${name}`);
    return t;
  }

  private layerW(il: number, name: string): Tensor | undefined {
    return this.w(`blk.${il}.${name}`);
  }

  private get sliding(): boolean {
    return this.facts.slidingWindow !== undefined;
  }

  // --- inputs -----------------------------------------------------------------------------------

  /** build_inp_embd: the token rows, with the unused vector-input tensor as a leaf. */
  inpEmbd(): Tensor {
    const tokens = this.ctx.input('inp_tokens', I32, [this.nTokens]);
    const embd = this.ctx.input('inp_embd', GgmlType.F32, [this.shape.nEmbd, this.nTokens]);
    const cur = this.ctx.getRows(this.need('token_embd.weight'), tokens);
    cur.name = 'embd';
    this.expand(cur);
    this.expand(embd);
    return cur;
  }

  inpPos(): Tensor {
    return this.ctx.input('inp_pos', I32, [this.nTokens]);
  }

  inpOutIds(): Tensor {
    return this.ctx.input('inp_out_ids', I32, [Math.min(this.cfg.nOutputs, this.nTokens)]);
  }

  /** build_input_k_rot: a Hadamard rotation for quantized caches of 64-multiple heads. */
  private rotation(type: number, headDim: number): Tensor | undefined {
    const quantized = type !== GgmlType.F16 && type !== GgmlType.F32 && type !== GgmlType.BF16;
    if (!quantized || headDim % 64 !== 0) return undefined;
    let n = 64;
    do n *= 2;
    while (headDim % n === 0);
    n /= 2;
    return this.ctx.input('attn_inp_k_rot', GgmlType.F32, [n, n]);
  }

  /** build_attn_inp_kv (and the SWA half of build_attn_inp_kv_iswa): cache indices, mask, rotations. */
  attnInputs(nKv: number, withV: boolean): AttnInputs {
    const s = this.shape;
    const kIdxs = this.ctx.input('k_idxs', I64, [this.nTokens]);
    const vTrans = !this.cfg.flashAttn;
    const vIdxs = withV ? this.ctx.input('v_idxs', I64, [vTrans ? this.nTokens * s.nHeadKv * s.headDimV : this.nTokens]) : undefined;
    const mask = this.ctx.input('attn_inp_kq_mask', this.cfg.flashAttn ? GgmlType.F16 : GgmlType.F32, [nKv, this.nTokens, 1, 1]);
    const kRot = withV ? this.rotation(this.cfg.typeK, s.headDimK) : undefined;
    const vRot = withV ? this.rotation(this.cfg.typeV, s.headDimV) : undefined;
    return { kIdxs, vIdxs, mask, kRot, vRot };
  }

  // --- blocks -----------------------------------------------------------------------------------

  /** build_norm (RMS): the "norm" tensor, then the weight. */
  norm(cur: Tensor, weight: Tensor | undefined, il: number): Tensor {
    let out = this.ctx.rmsNorm(cur);
    if (weight) {
      this.name(out, 'norm', il);
      if (il >= 0) this.cfg.onNorm(out, il);
      out = this.ctx.mul(out, weight);
    }
    return out;
  }

  /** build_qkv: fused or separate projections, optional biases, shaped [head, heads, tokens]. */
  qkv(il: number, cur: Tensor, headDim: number): Qkv {
    const s = this.shape;
    const ctx = this.ctx;
    const wqkv = this.layerW(il, 'attn_qkv.weight');
    if (wqkv) {
      let qkv = ctx.mulMat(wqkv, cur);
      const b = this.layerW(il, 'attn_qkv.bias');
      if (b) qkv = ctx.add(qkv, b);
      const row = rowSize(qkv.type, headDim);
      const q = ctx.view(qkv, [headDim, s.nHead, this.nTokens], [row, qkv.nb[1]]);
      const k = ctx.view(qkv, [headDim, s.nHeadKv, this.nTokens], [row, qkv.nb[1]]);
      const v = ctx.view(qkv, [headDim, s.nHeadKv, this.nTokens], [row, qkv.nb[1]]);
      return { q, k, v };
    }
    const proj = (name: string, heads: number): Tensor => {
      let t = ctx.mulMat(this.need(`blk.${il}.attn_${name}.weight`), cur);
      this.name(t, `${name.toUpperCase()}cur`, il);
      const b = this.layerW(il, `attn_${name}.bias`);
      if (b) t = ctx.add(t, b);
      return ctx.reshape(t, [headDim, heads, this.nTokens]);
    };
    return { q: proj('q', s.nHead), k: proj('k', s.nHeadKv), v: proj('v', s.nHeadKv) };
  }

  private hadamard(cur: Tensor, rot: Tensor): Tensor {
    const n = rot.ne[0];
    const elements = cur.ne[0] * cur.ne[1] * cur.ne[2] * cur.ne[3];
    const flat = isContiguous(cur) ? this.ctx.reshape(cur, [n, elements / n]) : this.ctx.cont(cur, [n, elements / n]);
    return this.ctx.reshape(this.ctx.mulMat(rot, flat), cur.ne);
  }

  private cache(kind: 'k' | 'v', il: number, type: number, width: number, cells: number): Tensor {
    const name = `cache_${kind}_l${il}`;
    let t = this.caches.get(name);
    if (!t) {
      t = this.ctx.preallocated(name, type, [width, cells, 1], { device: this.cfg.kvDevice(il), weights: false, repack: false });
      this.caches.set(name, t);
    }
    return t;
  }

  /** build_attn_mha: flash attention, or KQ, softmax and KQV. */
  private mha(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, vMla: Tensor | undefined, il: number): Tensor {
    const ctx = this.ctx;
    const vTrans = v.nb[1] > v.nb[2];
    q = ctx.view(q, [q.ne[0], q.ne[1], q.ne[2], q.ne[3]], [q.nb[1], q.nb[2], q.nb[3]]);
    q = ctx.permute(q, 0, 2, 1, 3);
    k = ctx.permute(k, 0, 2, 1, 3);
    v = ctx.permute(v, 0, 2, 1, 3);
    let cur: Tensor;
    if (this.cfg.flashAttn) {
      if (vTrans) v = ctx.transpose(v);
      cur = ctx.flashAttnExt(q, k, v, mask);
      if (vMla) {
        cur = ctx.permute(cur, 0, 2, 1, 3);
        cur = ctx.mulMat(vMla, cur);
        cur = ctx.permute(cur, 0, 2, 1, 3);
        cur = ctx.cont(cur);
      }
      cur = ctx.reshape(cur, [cur.ne[0] * cur.ne[1], cur.ne[2] * cur.ne[3]]);
    } else {
      let kq = ctx.mulMat(k, q);
      this.name(kq, 'kq', il);
      kq = ctx.softMax(kq, mask);
      if (!vTrans) v = ctx.cont(ctx.transpose(v));
      let kqv = ctx.mulMat(v, kq);
      if (vMla) kqv = ctx.mulMat(vMla, kqv);
      cur = ctx.permute(kqv, 0, 2, 1, 3);
      cur = ctx.cont(cur, [cur.ne[0] * cur.ne[1], cur.ne[2] * cur.ne[3]]);
    }
    this.expand(cur);
    return cur;
  }

  /** build_attn with a K and V cache (the SWA cache for sliding layers). */
  attnKv(inp: AttnInputs, il: number, qkv: Qkv, wo: Tensor, woB: Tensor | undefined): Tensor {
    // build_attn for a plain cache expands q, v, k (so RoPE of k can fuse into the store); the iSWA one q, k, v.
    const kFirst = this.sliding;
    const s = this.shape;
    const ctx = this.ctx;
    let { q, k, v } = qkv;
    if (inp.kRot) {
      q = this.hadamard(q, inp.kRot);
      k = this.hadamard(k, inp.kRot);
    }
    if (inp.vRot) v = this.hadamard(v, inp.vRot);
    this.expand(q);
    this.expand(kFirst ? k : v);
    this.expand(kFirst ? v : k);
    const sliding = isSlidingLayer(this.facts.slidingWindow, il);
    const cells = sliding ? this.cfg.nKvSwa : this.cfg.nKv;
    const gqaK = s.nHeadKv * s.headDimK;
    const gqaV = s.nHeadKv * s.headDimV;
    const kCache = this.cache('k', il, this.cfg.typeK, gqaK, cells);
    const vCache = this.cache('v', il, this.cfg.typeV, gqaV, cells);
    // cpy_k / cpy_v
    this.expand(ctx.setRows(kCache, ctx.view(k, [gqaK, this.nTokens], [k.nb[2]]), inp.kIdxs));
    const vIdxs = inp.vIdxs!;
    if (this.cfg.flashAttn) {
      this.expand(ctx.setRows(vCache, ctx.view(v, [gqaV, this.nTokens], [v.nb[2]]), vIdxs));
    } else {
      const flat = rowSize(v.type, gqaV) === v.nb[2] ? ctx.reshape(v, [gqaV, this.nTokens]) : ctx.cont(v, [gqaV, this.nTokens]);
      this.expand(ctx.setRows(ctx.reshape(vCache, [1, gqaV * cells]), ctx.reshape(flat, [1, gqaV * this.nTokens]), vIdxs));
    }
    // get_k / get_v
    const kView = ctx.view(kCache, [s.headDimK, s.nHeadKv, cells, 1], [rowSize(kCache.type, s.headDimK), rowSize(kCache.type, gqaK), rowSize(kCache.type, gqaK * cells)]);
    const vView = this.cfg.flashAttn
      ? ctx.view(vCache, [s.headDimV, s.nHeadKv, cells, 1], [rowSize(vCache.type, s.headDimV), rowSize(vCache.type, gqaV), rowSize(vCache.type, gqaV * cells)])
      : ctx.view(vCache, [cells, s.nHeadKv, s.headDimV, 1], [rowSize(vCache.type, cells * s.headDimV), rowSize(vCache.type, cells), rowSize(vCache.type, cells * gqaV)]);
    let cur = this.mha(q, kView, vView, inp.mask, undefined, il);
    cur.name = `kqv_out-${il}`;
    if (inp.vRot) cur = this.hadamard(cur, inp.vRot);
    cur = ctx.mulMat(wo, cur);
    if (woB) cur = ctx.add(cur, woB);
    return cur;
  }

  /** build_attn with a K-only cache (MLA: V is a view of the compressed K). */
  attnK(inp: AttnInputs, il: number, qkv: Qkv, wo: Tensor, vMla: Tensor): Tensor {
    const ctx = this.ctx;
    const { q, k, v } = qkv;
    this.expand(q);
    this.expand(v);
    this.expand(k);
    const width = k.ne[0] * k.ne[1];
    const cells = this.cfg.nKv;
    const kCache = this.cache('k', il, this.cfg.typeK, width, cells);
    this.expand(ctx.setRows(kCache, ctx.view(k, [width, this.nTokens], [k.nb[2]]), inp.kIdxs));
    const kView = ctx.view(kCache, [k.ne[0], k.ne[1], cells, 1], [rowSize(kCache.type, k.ne[0]), rowSize(kCache.type, width), rowSize(kCache.type, width * cells)]);
    const vView = ctx.view(kView, [v.ne[0], kView.ne[1], kView.ne[2], kView.ne[3]], [kView.nb[1], kView.nb[2], kView.nb[3]]);
    let cur = this.mha(q, kView, vView, inp.mask, vMla, il);
    cur.name = `kqv_out-${il}`;
    cur = ctx.mulMat(wo, cur);
    return cur;
  }

  /** build_ffn with a parallel gate (SiLU or GELU), or phi3's fused up+gate with SwiGLU. */
  ffn(cur: Tensor, il: number): Tensor {
    const ctx = this.ctx;
    let tmp = this.name(ctx.mulMat(this.need(`blk.${il}.ffn_up.weight`), cur), 'ffn_up', il);
    const upB = this.layerW(il, 'ffn_up.bias');
    if (upB) tmp = ctx.add(tmp, upB);
    const gate = this.layerW(il, 'ffn_gate.weight');
    let out: Tensor;
    if (gate) {
      const g = this.name(ctx.mulMat(gate, cur), 'ffn_gate', il);
      out = ctx.glu(g, tmp);
    } else {
      out = ctx.glu(tmp);
    }
    out = ctx.mulMat(this.need(`blk.${il}.ffn_down.weight`), out);
    const downB = this.layerW(il, 'ffn_down.bias');
    if (downB) out = ctx.add(out, downB);
    return out;
  }

  /** build_ffn for shared experts (deepseek2): the same block with *_shexp weights. */
  sharedExpertFfn(cur: Tensor, il: number): Tensor {
    const ctx = this.ctx;
    const tmp = ctx.mulMat(this.need(`blk.${il}.ffn_up_shexp.weight`), cur);
    const g = ctx.mulMat(this.need(`blk.${il}.ffn_gate_shexp.weight`), cur);
    return ctx.mulMat(this.need(`blk.${il}.ffn_down_shexp.weight`), ctx.glu(g, tmp));
  }

  /** build_moe_ffn: router, top-k experts, weighted sum of the experts' outputs. */
  moeFfn(cur: Tensor, il: number): Tensor {
    const s = this.shape;
    const f = this.facts;
    const ctx = this.ctx;
    const n = this.nTokens;
    const logits = ctx.mulMat(this.need(`blk.${il}.ffn_gate_inp.weight`), cur);
    const probs = f.expertGating === 'sigmoid' ? ctx.unary(logits) : ctx.softMax(logits);
    const bias = this.w(`blk.${il}.exp_probs_b.bias`);
    const selection = bias ? ctx.add(probs, bias) : probs;
    const selected = ctx.argsortTopK(selection, s.nExpertUsed);
    let weights = ctx.getRows(ctx.reshape(probs, [1, s.nExpert, n]), selected);
    if (f.expertWeightsNorm) {
      weights = ctx.reshape(weights, [s.nExpertUsed, n]);
      const sum = ctx.clamp(ctx.sumRows(weights));
      weights = ctx.div(weights, sum);
      weights = ctx.reshape(weights, [1, s.nExpertUsed, n]);
    }
    if (f.expertWeightsScale !== 0 && f.expertWeightsScale !== 1) weights = ctx.scale(weights);
    this.expand(weights);
    const x = ctx.reshape(cur, [s.nEmbd, 1, n]);
    const gateUp = this.layerW(il, 'ffn_gate_up_exps.weight');
    let act: Tensor;
    if (gateUp) {
      const gu = ctx.mulMatId(gateUp, x, selected);
      const half = gu.ne[0] / 2;
      const g = ctx.view(gu, [half, gu.ne[1], gu.ne[2]], [gu.nb[1], gu.nb[2]]);
      const u = ctx.view(gu, [half, gu.ne[1], gu.ne[2]], [gu.nb[1], gu.nb[2]]);
      act = ctx.glu(g, u);
    } else {
      const up = ctx.mulMatId(this.need(`blk.${il}.ffn_up_exps.weight`), x, selected);
      const gate = ctx.mulMatId(this.need(`blk.${il}.ffn_gate_exps.weight`), x, selected);
      act = ctx.glu(gate, up);
    }
    let experts = ctx.mulMatId(this.need(`blk.${il}.ffn_down_exps.weight`), act, selected);
    experts = ctx.mul(experts, weights);
    this.expand(experts);
    const views: Tensor[] = [];
    for (let i = 0; i < s.nExpertUsed; i++) {
      const view = ctx.view(experts, [s.nEmbd, n], [experts.nb[2]]);
      views.push(view);
      this.expand(view);
    }
    let out = views[0]!;
    for (let i = 1; i < views.length; i++) {
      out = ctx.add(out, views[i]!);
      this.expand(out);
    }
    if (views.length === 1) out = ctx.cont(out);
    return out;
  }

  /** The output head: final norm (an output tensor), the vocabulary projection, optional soft-cap. */
  output(cur: Tensor): void {
    const ctx = this.ctx;
    cur = this.norm(cur, this.w('output_norm.weight'), -1);
    cur.name = 'result_norm';
    cur.output = true;
    let logits = ctx.mulMat(this.outputWeight(), cur);
    const b = this.w('output.bias');
    if (b) logits = ctx.add(logits, b);
    if (this.facts.finalLogitSoftcap > 0) logits = ctx.scale(ctx.unary(ctx.scale(logits)));
    logits.name = 'result_output';
    logits.output = true;
    this.expand(logits);
  }

  /** output.weight, or the copy of token_embd that llama.cpp loads onto the output device (tied embeddings). */
  private outputWeight(): Tensor {
    const own = this.w('output.weight');
    if (own) return own;
    const embd = this.byName.get('token_embd.weight');
    const buffer = this.cfg.weightBuffer('output.weight');
    if (!embd || !buffer) throw new RangeError('the model has neither output.weight nor token_embd.weight');
    return this.ctx.preallocated('output.weight (tied)', embd.type, embd.dims, buffer);
  }

  /**
   * ggml_rope_ext with llama 3.1's frequency factors. llama.cpp loads them once per buffer type
   * (TENSOR_DUPLICATED finds the copy already in that context), so the layers of one device share one.
   */
  rope(t: Tensor, pos: Tensor, il: number): Tensor {
    const info = this.byName.get('rope_freqs.weight');
    const buffer = info ? this.cfg.weightBuffer(`blk.${il}.rope_freqs.weight`) : undefined;
    let factors: Tensor | undefined;
    if (info && buffer) {
      const key = `rope_freqs.weight@${buffer.device}`;
      factors = this.weights.get(key) ?? undefined;
      if (!factors) {
        factors = this.ctx.preallocated('rope_freqs.weight', info.type, info.dims, buffer);
        this.weights.set(key, factors);
      }
    }
    return this.ctx.rope(t, pos, factors);
  }

  get c(): GgmlContext {
    return this.ctx;
  }

  /** The sizes the architecture builders need. */
  get shapeOf(): { nCtxKv: number; nSwaKv: number; headDim: number; nTokens: number; nHead: number } {
    return { nCtxKv: this.cfg.nKv, nSwaKv: this.cfg.nKvSwa, headDim: this.shape.headDimK, nTokens: this.nTokens, nHead: this.shape.nHead };
  }

  get factsOf(): GraphFacts {
    return this.facts;
  }

  slidingLayer(il: number): boolean {
    return isSlidingLayer(this.facts.slidingWindow, il);
  }

  get isSliding(): boolean {
    return this.sliding;
  }
}
