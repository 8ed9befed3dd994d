// Which models can complete code: FIM tokens read from generated GGUF headers (declared by key, by the
// older keys, or only spelled in the vocabulary), and the one sentence a model without them gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGgufHeader } from '../../src/extension/gguf/header';
import { fimKey, fimSupport } from '../../src/extension/gguf/fimTokens';
import { kv, serializeGguf, type GgufKv } from '../../src/extension/gguf/writer/ggufWriter';
import { tinyModelSpec } from '../../src/extension/gguf/writer/models';
import { FIM_SPECIALS } from '../../src/extension/gguf/writer/tokenizer';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { sizeVerdict } from '../../src/extension/models/verdict';
import { fimModelAdvice, noFimSentence } from '../../src/extension/completion/fimAdvice';

async function supportOf(fim: boolean, edit: (kvs: GgufKv[]) => GgufKv[] = (k) => k) {
  const spec = tinyModelSpec('tiny-dense', { fim });
  const header = await parseGgufHeader(serializeGguf(edit([...spec.kvs]), spec.tensors).bytes);
  return { header, support: fimSupport(header.metadata, header.fimTokensByText) };
}

const isFimKey = (k: GgufKv): boolean => /^tokenizer\.ggml\.fim_/.test(k.key);

test('FIM: a generated FIM model declares all six tokens by key, at the ids of their texts', async () => {
  const { header, support } = await supportOf(true);
  assert.equal(support.complete, true);
  assert.equal(support.source, 'metadata');
  assert.deepEqual(support.missing, []);
  for (const [role] of FIM_SPECIALS) {
    assert.equal(typeof header.metadata.get(fimKey(role)), 'number', role);
    assert.equal(support.tokens[role], header.fimTokensByText.get(role), `${role}: the key and the text name the same token`);
  }
});

test('FIM: a model without the tokens has none, and says which are missing', async () => {
  const { header, support } = await supportOf(false);
  assert.equal(header.fimTokensByText.size, 0);
  assert.equal(support.complete, false);
  assert.equal(support.source, 'none');
  assert.deepEqual(support.missing, ['pre', 'suf', 'mid']);
});

test('FIM: tokens only spelled in the vocabulary count (llama.cpp finds them by text, as in most Qwen2.5-Coder GGUFs)', async () => {
  const { support } = await supportOf(true, (kvs) => kvs.filter((k) => !isFimKey(k)));
  assert.equal(support.complete, true);
  assert.equal(support.source, 'token text');
});

test('FIM: the older prefix/suffix/middle keys count', async () => {
  const { support: base } = await supportOf(false);
  assert.equal(base.complete, false);
  const legacy = [kv.u32('tokenizer.ggml.prefix_token_id', 3), kv.u32('tokenizer.ggml.suffix_token_id', 4), kv.u32('tokenizer.ggml.middle_token_id', 5)];
  const { support } = await supportOf(false, (kvs) => [...kvs, ...legacy]);
  assert.equal(support.complete, true);
  assert.equal(support.source, 'metadata');
  assert.deepEqual({ pre: support.tokens.pre, suf: support.tokens.suf, mid: support.tokens.mid }, { pre: 3, suf: 4, mid: 5 });
});

test('FIM: only a prefix token is not enough for /infill', async () => {
  const { support } = await supportOf(false, (kvs) => [...kvs, kv.u32(fimKey('pre'), 3)]);
  assert.equal(support.complete, false);
  assert.deepEqual(support.missing, ['suf', 'mid']);
});

const machine = (vramGiB: number, ramGiB: number): HardwareFacts => ({
  gpus: vramGiB > 0 ? [{ index: 0, name: 'GPU', totalMiB: vramGiB * 1024, freeMiB: vramGiB * 1024, usedMiB: 0 }] : [],
  ramTotalMiB: ramGiB * 1024, ramAvailableMiB: ramGiB * 1024, physicalCores: 8, logicalCores: 16,
});

test('FIM: a model without FIM gets one sentence naming what is missing and a coder model that fits this machine', async () => {
  const { support } = await supportOf(false);
  const onLaptop = noFimSentence('tiny.gguf', support, fimModelAdvice(machine(0, 4), sizeVerdict));
  assert.match(onLaptop, /^Code completion is off because tiny\.gguf has no fill-in-the-middle tokens \(missing: prefix, suffix, middle\)/);
  assert.match(onLaptop, /Qwen2\.5-Coder 3B Instruct \(bartowski\/Qwen2\.5-Coder-3B-Instruct-GGUF, on CPU \(RAM\) here\)\.$/);
  assert.doesNotMatch(onLaptop, /\.\s/, 'one sentence');
  assert.match(noFimSentence('m', support, fimModelAdvice(machine(12, 32), sizeVerdict)), /Qwen2\.5-Coder 14B Instruct .*fully on GPU here/);
});
