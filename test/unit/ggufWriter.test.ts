import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeModel, readGgufHeader } from '../../src/extension/gguf/header';
import { ggmlTypeName, GgmlType } from '../../src/extension/gguf/ggmlTypes';
import {
  SPARSE_PRESETS,
  SPARSE_SHAPES,
  TINY_PRESETS,
  TINY_SHAPES,
  TINY_TYPES,
  writeModel,
  writeSparseModel,
  type SparsePreset,
} from '../../src/extension/gguf/writer/models';
import { itemAt } from '../fixtures/itemAt';
import type * as NodeLlamaCpp from 'node-llama-cpp' with { 'resolution-mode': 'import' };

let dir = '';
let llama: typeof NodeLlamaCpp;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-gguf-'));
  llama = await import('node-llama-cpp');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Our reader and node-llama-cpp's must agree on every tensor. */
async function crossCheck(path: string): Promise<void> {
  const ours = await readGgufHeader(path);
  const theirs = await llama.readGgufFileInfo(path, { logWarnings: false });
  const infos = theirs.tensorInfo ?? [];
  assert.equal(infos.length, ours.tensors.length);
  ours.tensors.forEach((t, i) => {
    const info = itemAt(infos, i);
    assert.equal(info.name, t.name);
    assert.equal(info.ggmlType, t.type);
    assert.deepEqual(info.dimensions.map(Number), t.dims);
    assert.equal(Number(info.offset), t.offset);
  });
  assert.equal(theirs.metadata.general.architecture, ours.metadata.get('general.architecture'));
}

for (const preset of TINY_PRESETS) {
  for (const type of TINY_TYPES) {
    test(`${preset} ${type}: node-llama-cpp and our reader read it back`, async () => {
      const path = join(dir, `${preset}-${type}.gguf`);
      const written = await writeModel(path, preset, { type, seed: 3 });
      const shape = TINY_SHAPES[preset];
      assert.equal((await stat(path)).size, written.fileSize);
      assert.ok(written.fileSize < 20 * 1024 * 1024);

      const info = await llama.readGgufFileInfo(path, { logWarnings: false });
      assert.equal(info.metadata.general.architecture, 'llama');
      assert.equal(info.architectureMetadata.block_count, shape.nLayer);
      assert.equal(info.tensorInfo?.length, written.tensorCount);
      for (const t of info.tensorInfo ?? []) {
        const isF32 = t.name.endsWith('norm.weight') || t.name.includes('ffn_gate_inp');
        assert.equal(ggmlTypeName(t.ggmlType), isF32 ? 'F32' : type, t.name);
      }
      await crossCheck(path);

      const header = await readGgufHeader(path);
      const model = describeModel(header);
      assert.equal(model.architecture, 'llama');
      assert.equal(model.blockCount, shape.nLayer);
      assert.equal(model.embeddingLength, shape.nEmbd);
      assert.equal(model.headCountKv, shape.nHeadKv);
      assert.equal(model.vocabSize, shape.nVocab);
      assert.equal(model.expertCount, 'nExpert' in shape ? shape.nExpert : undefined);
      assert.equal(model.fileTypeName, type);
      const template = header.metadata.get('tokenizer.chat_template');
      assert.ok(typeof template === 'string' && template.includes('<|im_start|>'), 'a ChatML chat template');
      if (preset === 'tiny-moe') {
        const exps = header.tensors.find((t) => t.name === 'blk.0.ffn_up_exps.weight');
        assert.deepEqual(exps?.dims, [shape.nEmbd, shape.nFf, 4]);
      }
    });
  }
}

test('same seed gives identical bytes, another seed different weights', async () => {
  const a = join(dir, 'a.gguf');
  const b = join(dir, 'b.gguf');
  const c = join(dir, 'c.gguf');
  await writeModel(a, 'tiny-dense', { type: 'Q4_0', seed: 42 });
  await writeModel(b, 'tiny-dense', { type: 'Q4_0', seed: 42 });
  await writeModel(c, 'tiny-dense', { type: 'Q4_0', seed: 43 });
  const [ba, bb, bc] = await Promise.all([readFile(a), readFile(b), readFile(c)]);
  assert.ok(ba.equals(bb));
  assert.equal(ba.length, bc.length);
  assert.ok(!ba.equals(bc));
});

test('byte tokens that could break UTF-8 are typed unused', async () => {
  const path = join(dir, 'vocab.gguf');
  await writeModel(path, 'tiny-dense', { type: 'Q8_0' });
  const info = await llama.readGgufFileInfo(path, { logWarnings: false });
  const tokens = info.metadata.tokenizer.ggml.tokens;
  const types = info.metadata.tokenizer.ggml.token_type ?? [];
  for (let b = 0x80; b <= 0xff; b++) {
    const id = tokens.indexOf(`<0x${b.toString(16).toUpperCase()}>`);
    assert.ok(id >= 0);
    assert.equal(types[id], 5);
  }
  assert.equal(types[tokens.indexOf('<0x41>')], 6);
  assert.equal(types[tokens.indexOf('<|im_end|>')], 3);
  assert.equal(info.metadata.tokenizer.ggml.eos_token_id, tokens.indexOf('<|im_end|>'));
});

const expectedParams: Record<SparsePreset, number> = {
  'llama3-8b': 8.03e9,
  'llama3-70b': 70.55e9,
  'mixtral-8x7b': 46.7e9,
  'qwen3-30b-a3b': 30.53e9,
  'qwen2.5-7b': 7.62e9,
  'gemma3-4b': 3.88e9,
  'phi3-mini': 3.82e9,
  'deepseek-v2-lite': 15.71e9,
};

for (const preset of SPARSE_PRESETS) {
  test(`sparse ${preset}: a real header over a hole`, async () => {
    const path = join(dir, `${preset}.gguf`);
    const written = await writeSparseModel(path, preset);
    const st = await stat(path);
    assert.equal(st.size, written.fileSize);
    assert.ok(st.blocks * 512 < written.layout.dataOffset + 1024 * 1024, `${st.blocks * 512} bytes on disk`);
    assert.ok(st.size > 1e9);

    // Reading the header never touches the hole (its speed is in the gguf benchmark).
    const header = await readGgufHeader(path);
    const model = describeModel(header);
    const shape = SPARSE_SHAPES[preset];
    assert.equal(model.architecture, shape.arch);
    assert.equal(model.blockCount, shape.nLayer);
    assert.equal(model.contextLength, shape.nCtx);
    assert.equal(model.vocabSize, shape.nVocab);
    assert.equal(model.fileTypeName, 'Q4_K_M');
    assert.ok(Math.abs(model.parameterCount / expectedParams[preset] - 1) < 0.01, `${model.parameterCount} params`);
    assert.ok(header.tensors.some((t) => t.type === GgmlType.Q6_K));
    assert.ok(header.tensors.some((t) => t.type === GgmlType.Q4_K));
    await crossCheck(path);
  });
}
