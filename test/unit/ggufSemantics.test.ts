// One test per rule of src/extension/gguf/semantics.ts (and the token list check): a real tiny model from the
// GGUF writer, one field changed, and the refusal names that field, its value and its byte offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgufFormatError, parseGgufHeader } from '../../src/extension/gguf/header';
import { MAX_EXPERTS, MAX_LAYERS } from '../../src/extension/gguf/semantics';
import { TINY_PRESETS, TINY_TYPES, tinyModelSpec, type ModelSpec } from '../../src/extension/gguf/writer/models';
import { kv, serializeGguf, type GgufKv, type KvScalar } from '../../src/extension/gguf/writer/ggufWriter';
import { itemAt } from '../fixtures/itemAt';

const dense = tinyModelSpec('tiny-dense');
const moe = tinyModelSpec('tiny-moe');

/** The spec with `key` replaced by `entry` (appended when absent), or removed when `entry` is undefined. */
function withKv(spec: ModelSpec, key: string, entry: GgufKv | undefined): ModelSpec {
  const kvs = spec.kvs.filter((k) => k.key !== key);
  const at = spec.kvs.findIndex((k) => k.key === key);
  if (entry) kvs.splice(at < 0 ? kvs.length : at, 0, entry);
  return { kvs, tensors: spec.tensors };
}

/** The array under `key` in the spec (a failed assertion when it has none). */
function arrayValue(spec: ModelSpec, key: string): readonly KvScalar[] {
  const entry = spec.kvs.find((k) => k.key === key);
  // A value is an array or a scalar, and no scalar is an object.
  assert.ok(entry && typeof entry.value === 'object', `no array ${key} in the spec`);
  return entry.value;
}

/** Parses the spec as a whole file and expects a refusal on `field`, at the key's offset unless the error points at an item in it. */
async function refusal(spec: ModelSpec, field: string, message: RegExp, alignment?: number): Promise<GgufFormatError> {
  const { bytes, layout } = serializeGguf(spec.kvs, spec.tensors, { alignment });
  try {
    await parseGgufHeader(bytes);
  } catch (error) {
    assert.ok(error instanceof GgufFormatError, `expected a GgufFormatError, got ${String(error)}`);
    assert.equal(error.field, field, error.message);
    assert.match(error.message, message);
    const entry = layout.kvs.find((k) => k.key === field);
    if (entry && field !== 'tokenizer.ggml.tokens') assert.equal(error.offset, entry.offset, 'the offset is where the key starts');
    return error;
  }
  assert.fail(`expected a refusal on ${field}`);
}

test('the generated tiny models pass every rule', async () => {
  for (const preset of TINY_PRESETS) {
    for (const type of TINY_TYPES) {
      const spec = tinyModelSpec(preset, { type });
      const header = await parseGgufHeader(serializeGguf(spec.kvs, spec.tensors).bytes);
      assert.equal(header.tensors.length, spec.tensors.length, `${preset} ${type}`);
    }
  }
});

test('block_count 0: at least 1 layer', async () => {
  await refusal(withKv(dense, 'llama.block_count', kv.u32('llama.block_count', 0)), 'llama.block_count', /^llama\.block_count is 0; llama\.cpp needs at least 1 layer$/);
});

test('block_count past LLAMA_MAX_LAYERS', async () => {
  for (const n of [MAX_LAYERS + 1, 65536, 0xffffffff]) {
    await refusal(withKv(dense, 'llama.block_count', kv.u32('llama.block_count', n)), 'llama.block_count', new RegExp(`^llama\\.block_count is ${n}; llama\\.cpp supports at most 512 layers$`));
  }
});

test('block_count of another integer type: llama.cpp reads only a uint32', async () => {
  await refusal(withKv(dense, 'llama.block_count', kv.i32('llama.block_count', 4)), 'llama.block_count', /is a int32; llama\.cpp reads it only as a uint32/);
});

test('a layer tensor past block_count', async () => {
  await refusal(
    withKv(dense, 'llama.block_count', kv.u32('llama.block_count', 3)),
    'llama.block_count',
    /^tensor 'blk\.3\.attn_norm\.weight' is in layer 3 but llama\.block_count is 3 \(layers 0-2\)$/,
  );
});

test('nextn_predict_layers beyond block_count', async () => {
  await refusal(withKv(dense, 'llama.nextn_predict_layers', kv.u32('llama.nextn_predict_layers', 5)), 'llama.nextn_predict_layers', /is 5 but llama\.block_count is only 4/);
});

test('more experts used than the model has', async () => {
  await refusal(withKv(moe, 'llama.expert_used_count', kv.u32('llama.expert_used_count', 8)), 'llama.expert_used_count', /^llama\.expert_used_count is 8 but llama\.expert_count is 4: a token cannot use more experts than the model has$/);
});

test('an MoE model that uses no expert', async () => {
  await refusal(withKv(moe, 'llama.expert_used_count', kv.u32('llama.expert_used_count', 0)), 'llama.expert_used_count', /is 0 but llama\.expert_count is 4; a mixture-of-experts model must use at least 1/);
  await refusal(withKv(moe, 'llama.expert_used_count', undefined), 'llama.expert_used_count', /is missing but llama\.expert_count is 4/);
});

test('expert_count past LLAMA_MAX_EXPERTS', async () => {
  await refusal(withKv(moe, 'llama.expert_count', kv.u32('llama.expert_count', 2000)), 'llama.expert_count', new RegExp(`is 2000; llama\\.cpp supports at most ${MAX_EXPERTS} experts`));
});

test('expert_count that contradicts the expert tensors', async () => {
  await refusal(
    withKv(moe, 'llama.expert_count', kv.u32('llama.expert_count', 8)),
    'llama.expert_count',
    /^llama\.expert_count is 8 but tensor 'blk\.0\.ffn_gate_exps\.weight' holds 4 experts \(its third dimension\)$/,
  );
  const noCounts = withKv(withKv(moe, 'llama.expert_count', undefined), 'llama.expert_used_count', undefined);
  const error = await refusal(noCounts, 'llama.expert_count', /^llama\.expert_count is missing but tensor 'blk\.0\.ffn_gate_exps\.weight' holds 4 experts/);
  assert.ok(error.offset > 0, 'an absent key points at the tensor');
});

test('experts used by a dense model', async () => {
  await refusal(withKv(dense, 'llama.expert_used_count', kv.u32('llama.expert_used_count', 2)), 'llama.expert_used_count', /is 2 but llama\.expert_count is missing/);
});

test('expert groups: fewer than the experts, dividing them, with a valid number used', async () => {
  const grouped = (groups: number, used?: number): ModelSpec => {
    const spec = withKv(moe, 'llama.expert_group_count', kv.u32('llama.expert_group_count', groups));
    return used === undefined ? spec : withKv(spec, 'llama.expert_group_used_count', kv.u32('llama.expert_group_used_count', used));
  };
  await refusal(grouped(4, 1), 'llama.expert_group_count', /is 4 but llama\.expert_count is 4; llama\.cpp needs fewer groups than experts/);
  await refusal(grouped(3, 1), 'llama.expert_group_count', /is 3, which does not divide llama\.expert_count 4/);
  await refusal(grouped(2), 'llama.expert_group_used_count', /is missing; with 2 expert groups llama\.cpp needs 1 to 1/);
  await refusal(grouped(2, 2), 'llama.expert_group_used_count', /is 2; with 2 expert groups/);
  await refusal(withKv(dense, 'llama.expert_group_count', kv.u32('llama.expert_group_count', 2)), 'llama.expert_group_count', /but the model has no experts/);
  await parseGgufHeader(serializeGguf(grouped(2, 1).kvs, moe.tensors).bytes);
});

test('a per-layer value needs one entry per layer', async () => {
  await refusal(withKv(moe, 'llama.expert_used_count', kv.u32s('llama.expert_used_count', [2, 2, 2])), 'llama.expert_used_count', /has 3 values but there are 2 layers/);
  await refusal(withKv(moe, 'llama.expert_used_count', kv.u32s('llama.expert_used_count', [2, 9])), 'llama.expert_used_count', /is 9 but llama\.expert_count is 4/);
  await parseGgufHeader(serializeGguf(withKv(moe, 'llama.expert_used_count', kv.u32s('llama.expert_used_count', [2, 1])).kvs, moe.tensors).bytes);
});

test('a tokenizer llama.cpp does not know', async () => {
  await refusal(withKv(dense, 'tokenizer.ggml.model', kv.str('tokenizer.ggml.model', 'sentencepiece')), 'tokenizer.ggml.model', /^tokenizer\.ggml\.model is "sentencepiece", a tokenizer llama\.cpp does not know/);
  await refusal(withKv(dense, 'tokenizer.ggml.model', kv.u32('tokenizer.ggml.model', 1)), 'tokenizer.ggml.model', /is a uint32; llama\.cpp reads it only as a string/);
  const bpe = withKv(dense, 'tokenizer.ggml.model', kv.str('tokenizer.ggml.model', 'gpt2'));
  await refusal(withKv(bpe, 'tokenizer.ggml.pre', kv.str('tokenizer.ggml.pre', 'martian-bpe')), 'tokenizer.ggml.pre', /^tokenizer\.ggml\.pre is "martian-bpe", a pre-tokenizer llama\.cpp does not know for a 'gpt2' tokenizer/);
});

test('a WordPiece (bert) tokenizer over a vocabulary with byte tokens', async () => {
  const types = arrayValue(dense, 'tokenizer.ggml.token_type');
  const firstByte = types.indexOf(6);
  const bert = withKv(dense, 'tokenizer.ggml.model', kv.str('tokenizer.ggml.model', 'bert'));
  await refusal(bert, 'tokenizer.ggml.model', new RegExp(`^tokenizer\\.ggml\\.model is "bert" but token ${firstByte} is a byte token \\(tokenizer\\.ggml\\.token_type 6\\); llama\\.cpp's WordPiece tokenizer has none and aborts on one$`));
  const noBytes = withKv(bert, 'tokenizer.ggml.token_type', kv.i32s('tokenizer.ggml.token_type', types.map((t) => (t === 6 ? 1 : t))));
  await parseGgufHeader(serializeGguf(noBytes.kvs, noBytes.tensors).bytes);
});

test('a per-layer head_count_kv that contradicts a layer\'s attn_k / attn_v tensors', async () => {
  const perLayer = (values: number[]): ModelSpec => withKv(dense, 'llama.attention.head_count_kv', kv.u32s('llama.attention.head_count_kv', values));
  await refusal(
    perLayer([2, 2, 2, 1]),
    'llama.attention.head_count_kv',
    /^llama\.attention\.head_count_kv gives layer 3 1 key\/value heads, but tensor 'blk\.3\.attn_k\.weight' is sized for 2 \(64 values, 32 per head\); llama\.cpp aborts building the compute graph$/,
  );
  await parseGgufHeader(serializeGguf(perLayer([2, 2, 2, 2]).kvs, dense.tensors).bytes);
});

test('duplicate token strings', async () => {
  const list = arrayValue(dense, 'tokenizer.ggml.tokens');
  const twice = [...list];
  twice[300] = itemAt(list, 299);
  const error = await refusal(withKv(dense, 'tokenizer.ggml.tokens', kv.strs('tokenizer.ggml.tokens', twice)), 'tokenizer.ggml.tokens', new RegExp(`^tokenizer\\.ggml\\.tokens: token 300 ${JSON.stringify(list[299])} repeats token 299; llama\\.cpp aborts`));
  const { layout } = serializeGguf(withKv(dense, 'tokenizer.ggml.tokens', kv.strs('tokenizer.ggml.tokens', twice)).kvs, dense.tensors);
  assert.ok(error.offset > (layout.kvs.find((k) => k.key === 'tokenizer.ggml.tokens')?.valueOffset ?? Infinity), 'the offset is the repeated item');
  // llama.cpp renames an empty token i to "[EMPTY_i]", which then collides with a real token of that text.
  const empty = [...list];
  empty[400] = '';
  empty[401] = '[EMPTY_400]';
  await refusal(withKv(dense, 'tokenizer.ggml.tokens', kv.strs('tokenizer.ggml.tokens', empty)), 'tokenizer.ggml.tokens', /token 401 "\[EMPTY_400\]" repeats token 400/);
  // Two different invalid UTF-8 bytes are different tokens to llama.cpp, though both decode to U+FFFD.
  const good = serializeGguf(dense.kvs, dense.tensors);
  const tokenOffset = (index: number): number => {
    let at = good.layout.kvs.find((k) => k.key === 'tokenizer.ggml.tokens')?.valueOffset ?? 0;
    for (let i = 0; i < index; i++) at += 8 + Buffer.byteLength(String(list[i]));
    return at;
  };
  const one = list.findIndex((t, i) => Buffer.byteLength(String(t)) === 1 && Buffer.byteLength(String(list[i + 1])) === 1);
  const patched = Buffer.from(good.bytes);
  patched[tokenOffset(one) + 8] = 0xc3;
  patched[tokenOffset(one + 1) + 8] = 0xc4;
  await parseGgufHeader(patched);
  patched[tokenOffset(one + 1) + 8] = 0xc3;
  await assert.rejects(parseGgufHeader(patched), new RegExp(`token ${one + 1} .* repeats token ${one};`));
});

test('general.alignment below 32: llama.cpp maps tensor data from a 32-byte boundary', async () => {
  for (const alignment of [1, 8, 16]) {
    await refusal(withKv(dense, 'general.alignment', kv.u32('general.alignment', alignment)), 'general.alignment', new RegExp(`^general\\.alignment is ${alignment}; llama\\.cpp maps tensor data in place and needs at least 32`), alignment);
  }
  const header = await parseGgufHeader(serializeGguf(withKv(dense, 'general.alignment', kv.u32('general.alignment', 64)).kvs, dense.tensors, { alignment: 64 }).bytes);
  assert.equal(header.alignment, 64);
});

test('NaN and infinite float hyper-parameters', async () => {
  await refusal(withKv(dense, 'llama.rope.freq_base', kv.f32('llama.rope.freq_base', NaN)), 'llama.rope.freq_base', /^llama\.rope\.freq_base is NaN; a hyper-parameter must be a finite number$/);
  await refusal(withKv(dense, 'llama.attention.layer_norm_rms_epsilon', kv.f32('llama.attention.layer_norm_rms_epsilon', Infinity)), 'llama.attention.layer_norm_rms_epsilon', /is \+Inf;/);
  await refusal(withKv(dense, 'llama.rope.scaling.factor', kv.f64('llama.rope.scaling.factor', -Infinity)), 'llama.rope.scaling.factor', /is -Inf;/);
  await refusal(withKv(dense, 'llama.swiglu_clamp_exp', kv.f32s('llama.swiglu_clamp_exp', [0, 0, NaN, 0])), 'llama.swiglu_clamp_exp', /is NaN \(item 2\)/);
});

test('a rope scaling type llama.cpp does not know', async () => {
  await refusal(withKv(dense, 'llama.rope.scaling.type', kv.str('llama.rope.scaling.type', 'dynamic')), 'llama.rope.scaling.type', /^llama\.rope\.scaling\.type is "dynamic"; llama\.cpp knows none, linear, yarn, longrope$/);
  await parseGgufHeader(serializeGguf(withKv(dense, 'llama.rope.scaling.type', kv.str('llama.rope.scaling.type', 'yarn')).kvs, dense.tensors).bytes);
});

test('files that are not whole models (no architecture keys) are left alone', async () => {
  const adapter = [kv.str('general.architecture', 'llama'), kv.str('general.type', 'adapter'), kv.str('adapter.type', 'lora')];
  const header = await parseGgufHeader(serializeGguf(adapter, [{ name: 'blk.9.attn_q.weight.lora_a', type: 0, dims: [8, 2] }]).bytes);
  assert.equal(header.tensors.length, 1);
});
