// Model-level checks on a parsed header: values that are well-formed GGUF but that llama.cpp's loader
// asserts on. A failed GGML_ASSERT aborts llama-server or llama-fit-params (SIGABRT) with a backtrace and
// nothing a user can act on; each rule here names the field and its value instead. Rules are only applied to
// keys that are present, so adapters, projectors and vocab-only files pass. Sources, at the bundled commit:
// src/llama-model.cpp load_hparams, src/llama-model-loader.cpp get_key/get_key_or_arr, src/llama-vocab.cpp
// load, ggml/src/ggml-backend.cpp ggml_backend_cpu_buffer_from_ptr.
import { GgufFormatError } from './ggufErrors';
import { GgufValueType, ggufValueTypeName } from './ggmlTypes';
import { isArraySummary, type GgufMetadata, type GgufScalar } from './metadata';
import type { GgufTensor } from './header';
import { shown, TOKEN_TYPE_KEY } from './tokenList';

/** LLAMA_MAX_LAYERS (src/llama-hparams.h): per-layer arrays are this long. */
export const MAX_LAYERS = 512;
/** LLAMA_MAX_EXPERTS. */
export const MAX_EXPERTS = 1024;
/**
 * ggml's TENSOR_ALIGNMENT. With mmap, llama.cpp hands the mapped file, from the first tensor's data on,
 * to ggml_backend_cpu_buffer_from_ptr, which asserts that pointer is 32-byte aligned.
 */
export const MIN_ALIGNMENT = 32;
/** llama.cpp's LLM_FFN_EXPS_REGEX (common/common.h): the MoE expert weights, experts in the third dimension. */
export const EXPERT_TENSOR = /\.ffn_(up|down|gate|gate_up)_(ch|)exps/;
/** A repeating layer's tensor, `blk.<layer>.<name>`. */
export const LAYER_TENSOR = /^blk\.(\d+)\./;

/** tokenizer.ggml.model values llama_vocab::impl::load knows; any other is refused there. */
const TOKENIZER_MODELS: ReadonlySet<string> = new Set([
  'no_vocab', 'none', 'llama', 'bert', 'gpt2', 'hybriddna', 'whitespace', 't5', 'rwkv', 'plamo2', 'gemma4',
]);
/** Byte-pair tokenizers: they also need a tokenizer.ggml.pre that llama.cpp knows. */
const BPE_MODELS: ReadonlySet<string> = new Set(['gpt2', 'hybriddna', 'whitespace']);
/** tokenizer.ggml.pre values llama_vocab::impl::load knows (an absent one means "default"). */
const PRE_TOKENIZERS: ReadonlySet<string> = new Set([
  'default', 'minicpm5', 'llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2',
  'jina-v5-nano', 'deepseek-llm', 'deepseek-coder', 'deepseek-v3', 'youtu', 'falcon', 'mpt', 'starcoder', 'gpt-2',
  'phi-2', 'jina-es', 'jina-de', 'gigachat', 'jina-v2-es', 'jina-v2-de', 'a.x-4.0', 'mellum', 'modern-bert', 'jais-2',
  'gemma4', 'granite-embed-multi-311m', 'sarvam-moe', 'jina-v1-en', 'jina-v2-code', 'roberta-bpe', 'whitespace',
  'refact', 'command-r', 'qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2', 'qwen35', 'stablelm2', 'olmo', 'dbrx',
  'smaug-bpe', 'poro-chat', 'glm4', 'chatglm-bpe', 'viking', 'jais', 'tekken', 'smollm', 'codeshell', 'bloom',
  'gpt3-finnish', 'exaone', 'exaone4', 'exaone-moe', 'chameleon', 'minerva-7b', 'megrez', 'gpt-4o', 'llama4',
  'kanana2', 'talkie', 'granite-embed-multi-97m', 'tiny_aya', 'cohere2moe', 'superbpe', 'trillion',
  'granite-docling', 'bailingmoe', 'bailingmoe2', 'llada-moe', 'seed-coder', 'hunyuan', 'hunyuan-dense',
  'joyai-llm', 'kimi-k2', 'grok-2', 'afmoe', 'laguna', 'minimax-m2', 'solar-open', 'mellum2',
]);
/** LLAMA_TOKEN_TYPE_BYTE: a byte-fallback token such as <0x0A>. */
const BYTE_TOKEN = 6;
/** LLAMA_ROPE_SCALING_TYPES: any other `<arch>.rope.scaling.type` fails a GGML_ASSERT. */
const ROPE_SCALING_TYPES: ReadonlySet<string> = new Set(['none', 'linear', 'yarn', 'longrope']);
/** Architectures whose loader turns expert_count <= 1 into a dense model. */
const DENSE_WHEN_ONE_EXPERT: ReadonlySet<string> = new Set(['hunyuan-dense', 'hunyuan_vl']);

/** Typed reads of the metadata that fail with the key, its offset and its value. */
class Fields {
  constructor(private readonly m: GgufMetadata) {}

  has(key: string): boolean {
    return this.m.types.has(key);
  }

  isArray(key: string): boolean {
    return this.m.types.get(key) === GgufValueType.ARRAY;
  }

  fail(key: string, message: string, offset?: number): never {
    throw new GgufFormatError(key, offset ?? this.m.offsets.get(key) ?? 0, message);
  }

  private typeName(key: string): string {
    const type = this.m.types.get(key);
    return type === undefined ? 'missing' : ggufValueTypeName(type);
  }

  /** llama.cpp's get_key<std::string>: a string or nothing. */
  string(key: string): string | undefined {
    if (!this.has(key)) return undefined;
    const value = this.m.values.get(key);
    if (typeof value !== 'string') this.fail(key, `${key} is a ${this.typeName(key)}; llama.cpp reads it only as a string`);
    return value;
  }

  /** llama.cpp's get_key<uint32_t>: a uint32 or nothing (no other integer type is converted). */
  u32(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.m.values.get(key);
    if (this.m.types.get(key) !== GgufValueType.UINT32 || typeof value !== 'number') {
      this.fail(key, `${key} is a ${this.typeName(key)}; llama.cpp reads it only as a uint32`);
    }
    return value;
  }

  /**
   * llama.cpp's get_key_or_arr: one uint32 for every layer, or an array of exactly block_count integers.
   * Undefined when absent, or when block_count is unknown and the value is an array.
   */
  perLayer(key: string, nLayer: number | undefined): readonly number[] | undefined {
    if (!this.has(key)) return undefined;
    if (this.m.types.get(key) !== GgufValueType.ARRAY) {
      const one = this.u32(key) ?? 0;
      return [one];
    }
    const value = this.m.values.get(key);
    if (nLayer === undefined) return undefined;
    const length = isArraySummary(value) ? value.length : Array.isArray(value) ? value.length : 0;
    if (length !== nLayer) this.fail(key, `${key} has ${length} values but there are ${nLayer} layers; llama.cpp needs one per layer`);
    if (!Array.isArray(value) || !value.every((v): v is number => typeof v === 'number' && Number.isInteger(v))) {
      this.fail(key, `${key} must be an array of integers, one per layer`);
    }
    return value;
  }

  /** A kept array's items, or undefined. */
  array(key: string): readonly GgufScalar[] | undefined {
    const value = this.m.values.get(key);
    return Array.isArray(value) ? value : undefined;
  }

  /** Every float under `prefix`, scalars and kept arrays, must be finite. */
  finiteFloats(prefix: string): void {
    for (const [key, value] of this.m.values) {
      // A summarized array kept no items to check.
      if (!key.startsWith(prefix) || isArraySummary(value)) continue;
      const items: readonly GgufScalar[] = typeof value === 'object' ? value : [value];
      const bad = items.findIndex((v) => typeof v === 'number' && !Number.isFinite(v));
      const item = items[bad];
      if (item === undefined) continue;
      const where = typeof value === 'object' ? ` (item ${bad})` : '';
      this.fail(key, `${key} is ${shown(item)}${where}; a hyper-parameter must be a finite number`);
    }
  }
}

export interface SemanticInput {
  readonly metadata: GgufMetadata;
  readonly tensors: readonly GgufTensor[];
  /** Absolute offset of the tensor data, to point at a tensor when no key is to blame. */
  readonly dataOffset: number;
  readonly alignment: number;
}

/** Throws a GgufFormatError for the first value llama.cpp would abort on (or refuse) while loading. */
export function checkSemantics(input: SemanticInput): void {
  const f = new Fields(input.metadata);
  if (input.alignment < MIN_ALIGNMENT) {
    f.fail(
      'general.alignment',
      `general.alignment is ${input.alignment}; llama.cpp maps tensor data in place and needs at least ${MIN_ALIGNMENT} (a power of two)`,
    );
  }
  checkTokenizer(f);
  const arch = f.string('general.architecture');
  if (arch === undefined || arch === 'clip') return;
  f.finiteFloats(`${arch}.`);
  const nLayer = checkBlockCount(f, arch);
  checkLayerTensors(f, arch, nLayer, input);
  checkExperts(f, arch, nLayer, input);
  checkPerLayerKvHeads(f, arch, nLayer, input.tensors);
  const scaling = f.string(`${arch}.rope.scaling.type`);
  if (scaling !== undefined && !ROPE_SCALING_TYPES.has(scaling)) {
    f.fail(`${arch}.rope.scaling.type`, `${arch}.rope.scaling.type is ${shown(scaling)}; llama.cpp knows ${[...ROPE_SCALING_TYPES].join(', ')}`);
  }
}

function checkBlockCount(f: Fields, arch: string): number | undefined {
  const key = `${arch}.block_count`;
  const n = f.u32(key);
  if (n === 0) f.fail(key, `${key} is 0; llama.cpp needs at least 1 layer`);
  if (n !== undefined && n > MAX_LAYERS) f.fail(key, `${key} is ${n}; llama.cpp supports at most ${MAX_LAYERS} layers`);
  const nextKey = `${arch}.nextn_predict_layers`;
  const nextn = f.u32(nextKey);
  if (n !== undefined && nextn !== undefined && nextn > n) {
    f.fail(nextKey, `${nextKey} is ${nextn} but ${key} is only ${n}; the prediction layers are part of the ${n}`);
  }
  return n;
}

function checkLayerTensors(f: Fields, arch: string, nLayer: number | undefined, input: SemanticInput): void {
  if (nLayer === undefined) return;
  for (const t of input.tensors) {
    const m = LAYER_TENSOR.exec(t.name);
    if (m && Number(m[1]) >= nLayer) {
      f.fail(`${arch}.block_count`, `tensor '${t.name}' is in layer ${m[1]} but ${arch}.block_count is ${nLayer} (layers 0-${nLayer - 1})`);
    }
  }
}

function checkExperts(f: Fields, arch: string, nLayer: number | undefined, input: SemanticInput): void {
  const countKey = `${arch}.expert_count`;
  const usedKey = `${arch}.expert_used_count`;
  const groupsKey = `${arch}.expert_group_count`;
  const groupUsedKey = `${arch}.expert_group_used_count`;
  let nExpert = f.u32(countKey) ?? 0;
  const usedPerLayer = f.perLayer(usedKey, nLayer);
  let used = usedPerLayer ? Math.max(...usedPerLayer) : 0;
  if (DENSE_WHEN_ONE_EXPERT.has(arch) && nExpert <= 1) {
    nExpert = 0;
    used = 0;
  }
  const groups = f.u32(groupsKey) ?? 0;
  const groupUsed = f.u32(groupUsedKey) ?? 0;
  if (nExpert > MAX_EXPERTS) f.fail(countKey, `${countKey} is ${nExpert}; llama.cpp supports at most ${MAX_EXPERTS} experts`);
  if (used > nExpert) {
    f.fail(usedKey, `${usedKey} is ${used} but ${countKey} is ${f.has(countKey) ? nExpert : 'missing'}: a token cannot use more experts than the model has`);
  }
  if (nExpert > 0) {
    if (used === 0) f.fail(usedKey, `${usedKey} is ${f.has(usedKey) ? 0 : 'missing'} but ${countKey} is ${nExpert}; a mixture-of-experts model must use at least 1 expert per token`);
    if (groups >= nExpert) f.fail(groupsKey, `${groupsKey} is ${groups} but ${countKey} is ${nExpert}; llama.cpp needs fewer groups than experts`);
    if (groups > 1) {
      if (nExpert % groups !== 0) f.fail(groupsKey, `${groupsKey} is ${groups}, which does not divide ${countKey} ${nExpert}`);
      if (groupUsed === 0 || groupUsed >= groups) {
        f.fail(groupUsedKey, `${groupUsedKey} is ${f.has(groupUsedKey) ? groupUsed : 'missing'}; with ${groups} expert groups llama.cpp needs 1 to ${groups - 1}`);
      }
    }
  } else if (groups !== 0) {
    f.fail(groupsKey, `${groupsKey} is ${groups} but the model has no experts (${countKey} ${f.has(countKey) ? 'is 0' : 'is missing'})`);
  }
  for (const t of input.tensors) {
    if (!EXPERT_TENSOR.test(t.name) || t.dims.length !== 3) continue;
    if (t.dims[2] !== nExpert) {
      const count = f.has(countKey) ? `is ${nExpert}` : 'is missing';
      f.fail(countKey, `${countKey} ${count} but tensor '${t.name}' holds ${t.dims[2]} experts (its third dimension)`, f.has(countKey) ? undefined : input.dataOffset + t.offset);
    }
  }
}

/**
 * A per-layer head_count_kv: llama.cpp sizes each layer's KV cache by it but, for most architectures, creates
 * attn_k and attn_v by layer 0's count, so a layer whose tensors disagree passes the shape check and then fails
 * a GGML_ASSERT while the compute graph is built. (A single value sizes the tensors too, and llama.cpp refuses
 * a mismatch itself.)
 */
function checkPerLayerKvHeads(f: Fields, arch: string, nLayer: number | undefined, tensors: readonly GgufTensor[]): void {
  const key = `${arch}.attention.head_count_kv`;
  if (nLayer === undefined || !f.isArray(key)) return;
  if (f.has(`${arch}.attention.key_length_swa`) || f.has(`${arch}.attention.value_length_swa`)) return;
  const kvHeads = f.perLayer(key, nLayer);
  const heads = f.perLayer(`${arch}.attention.head_count`, nLayer);
  const nEmbd = f.u32(`${arch}.embedding_length`);
  const firstHeads = heads?.[0];
  const byHeads = firstHeads !== undefined && firstHeads > 0 && nEmbd !== undefined ? nEmbd / firstHeads : undefined;
  const keyWidth = f.u32(`${arch}.attention.key_length`) ?? byHeads;
  const valueWidth = f.u32(`${arch}.attention.value_length`) ?? byHeads;
  for (const t of tensors) {
    const m = /^blk\.(\d+)\.attn_([kv])\.weight$/.exec(t.name);
    const rows = t.dims[1];
    if (!m || t.dims.length !== 2 || rows === undefined) continue;
    const layer = Number(m[1]);
    const perHead = m[2] === 'k' ? keyWidth : valueWidth;
    const n = kvHeads?.[layer];
    if (perHead === undefined || !Number.isInteger(perHead) || perHead === 0 || n === undefined) continue;
    if (rows !== perHead * n) {
      f.fail(key, `${key} gives layer ${layer} ${n} key/value heads, but tensor '${t.name}' is sized for ${rows / perHead} (${rows} values, ${perHead} per head); llama.cpp aborts building the compute graph`);
    }
  }
}

function checkTokenizer(f: Fields): void {
  const model = f.string('tokenizer.ggml.model');
  if (model === undefined) return;
  if (!TOKENIZER_MODELS.has(model)) {
    f.fail('tokenizer.ggml.model', `tokenizer.ggml.model is ${shown(model)}, a tokenizer llama.cpp does not know (it knows ${[...TOKENIZER_MODELS].join(', ')})`);
  }
  if (model === 'bert') {
    // llama.cpp renders every token once while loading; a byte token reaches token_to_byte, which aborts for WordPiece.
    const types = f.array(TOKEN_TYPE_KEY);
    const byte = types?.indexOf(BYTE_TOKEN) ?? -1;
    if (byte >= 0) {
      f.fail('tokenizer.ggml.model', `tokenizer.ggml.model is "bert" but token ${byte} is a byte token (${TOKEN_TYPE_KEY} ${BYTE_TOKEN}); llama.cpp's WordPiece tokenizer has none and aborts on one`);
    }
  }
  const pre = f.string('tokenizer.ggml.pre');
  if (BPE_MODELS.has(model) && pre !== undefined && pre !== '' && !PRE_TOKENIZERS.has(pre)) {
    f.fail('tokenizer.ggml.pre', `tokenizer.ggml.pre is ${shown(pre)}, a pre-tokenizer llama.cpp does not know for a '${model}' tokenizer (a newer model than this llama.cpp?)`);
  }
}
