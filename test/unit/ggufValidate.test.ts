import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgufFormatError, parseGgufHeader, readGgufHeader } from '../../src/extension/gguf/header';
import { GgmlType } from '../../src/extension/gguf/ggmlTypes';
import { tinyModelSpec } from '../../src/extension/gguf/writer/models';
import { type GgufKv, type HeaderLayout, kv, serializeGguf, serializeHeader, type TensorSpec } from '../../src/extension/gguf/writer/ggufWriter';
import { itemAt } from '../fixtures/itemAt';

/** A whole file in memory: header plus tensor data (zeros where a tensor has none). */
function build(kvs: readonly GgufKv[], tensors: readonly TensorSpec[], alignment = 32): { bytes: Buffer; layout: HeaderLayout } {
  return serializeGguf(kvs, tensors, { alignment });
}

const good = (() => {
  const spec = tinyModelSpec('tiny-dense', { type: 'Q8_0' });
  return build(spec.kvs, spec.tensors);
})();

function mutated(edit: (bytes: Buffer, layout: HeaderLayout) => Buffer | void): Buffer {
  const bytes = Buffer.from(good.bytes);
  return edit(bytes, good.layout) ?? bytes;
}

async function rejects(bytes: Uint8Array, field: string, message?: RegExp): Promise<GgufFormatError> {
  try {
    await parseGgufHeader(bytes);
  } catch (error) {
    assert.ok(error instanceof GgufFormatError, `expected GgufFormatError, got ${String(error)}`);
    assert.equal(error.field, field, error.message);
    assert.ok(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= bytes.length);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail(`expected a GgufFormatError on ${field}`);
}

const kvAt = (layout: HeaderLayout, key: string) => {
  const entry = layout.kvs.find((k) => k.key === key);
  assert.ok(entry, key);
  return entry;
};

test('the good file parses', async () => {
  const header = await parseGgufHeader(good.bytes);
  assert.equal(header.tensors.length, good.layout.tensors.length);
  assert.equal(header.dataOffset, good.layout.dataOffset);
});

test('bad magic says what the file looks like', async () => {
  await rejects(mutated((b) => void b.write('GGML', 0, 'latin1')), 'magic', /not a GGUF file: it starts with 'GGML' \(47 47 4d 4c\)/);
  await rejects(Buffer.from('<!DOCTYPE html><html>sign in</html>'), 'magic', /HTML/);
  await rejects(Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:abc\n'), 'magic', /Git LFS pointer/);
  await rejects(Buffer.from('{"error":"not found"}'), 'magic', /JSON/);
  await rejects(Buffer.alloc(0), 'magic', /empty/);
  await rejects(Buffer.from('GG'), 'magic', /only 2 bytes/);
});

test('unsupported versions', async () => {
  await rejects(mutated((b) => void b.writeUInt32LE(4, 4)), 'version', /version 4/);
  await rejects(mutated((b) => void b.writeUInt32LE(1, 4)), 'version', /v1/);
  await rejects(mutated((b) => void b.writeUInt32LE(0x03000000, 4)), 'version', /big-endian/);
});

test('counts the file cannot hold', async () => {
  await rejects(mutated((b, l) => void b.writeBigUInt64LE(1_000_000_000n, l.tensorCountOffset)), 'tensor_count', /1000000000 tensors/);
  await rejects(mutated((b, l) => void b.writeBigUInt64LE(1n << 40n, l.kvCountOffset)), 'metadata_kv_count');
  await rejects(mutated((b, l) => void b.writeBigUInt64LE(2n ** 64n - 1n, l.kvCountOffset)), 'metadata_kv_count');
});

test('a string length past the end of the file', async () => {
  const name = kvAt(good.layout, 'general.name');
  await rejects(mutated((b) => void b.writeBigUInt64LE(10n ** 12n, name.offset)), 'kv.key', /runs past the end of the file/);
  await rejects(mutated((b) => void b.writeBigUInt64LE(10n ** 12n, name.valueOffset)), 'kv.value', /general\.name.*runs past the end/);
  const tokens = kvAt(good.layout, 'tokenizer.ggml.tokens');
  await rejects(mutated((b) => void b.writeBigUInt64LE(10n ** 9n, tokens.valueOffset + 8 * 0)), 'kv.value', /'tokenizer\.ggml\.tokens' item 0: string length 1000000000/);
  await rejects(mutated((b) => void b.writeBigUInt64LE(10n ** 9n, tokens.valueOffset - 8)), 'kv.value', /array of 1000000000 string/);
});

test('truncated data names the tensor and the missing bytes', async () => {
  const last = good.layout.tensors.length - 1;
  const cut = good.bytes.subarray(0, good.layout.fileSize - 1000);
  const error = await rejects(cut, 'tensor.data', /truncated download\?/);
  assert.match(error.message, new RegExp(`^tensor ${last} 'output\\.weight': data ends at byte \\d+ but the file has ${cut.length} bytes`));
  // Header intact but no data at all: the first tensor is already missing.
  await rejects(good.bytes.subarray(0, good.layout.dataOffset), 'tensor.data', /^tensor 0 'token_embd\.weight'/);
});

test('tensor offsets: misaligned, out of order, beyond the file', async () => {
  const t1 = itemAt(good.layout.tensors, 1);
  await rejects(mutated((b) => void b.writeBigUInt64LE(BigInt(t1.dataOffset + 1), t1.dataOffsetField)), 'tensor.offset', /not a multiple of the alignment 32/);
  await rejects(mutated((b) => void b.writeBigUInt64LE(BigInt(t1.dataOffset + 64), t1.dataOffsetField)), 'tensor.offset', /llama\.cpp expects/);
  const lastT = itemAt(good.layout.tensors, -1);
  await rejects(mutated((b) => void b.writeBigUInt64LE(1n << 40n, lastT.dataOffsetField)), 'tensor.offset');
});

test('shapes: too many dims, zero, overflow, partial blocks', async () => {
  const t0 = itemAt(good.layout.tensors, 0);
  await rejects(mutated((b) => void b.writeUInt32LE(5, t0.nDimsOffset)), 'tensor.n_dims', /5 dimensions/);
  await rejects(mutated((b) => void b.writeBigUInt64LE(0n, t0.dimsOffset + 8)), 'tensor.dims', /dimension 1 is 0/);
  await rejects(
    mutated((b) => {
      b.writeBigUInt64LE(1n << 32n, t0.dimsOffset);
      b.writeBigUInt64LE(1n << 32n, t0.dimsOffset + 8);
    }),
    'tensor.dims',
    /overflows/,
  );
  await rejects(mutated((b) => void b.writeBigUInt64LE(1n << 63n, t0.dimsOffset)), 'tensor.dims', /negative/);
  await rejects(mutated((b) => void b.writeBigUInt64LE(100n, t0.dimsOffset)), 'tensor.dims', /not a multiple of Q8_0's block size 32/);
});

test('unknown and removed tensor types', async () => {
  const t2 = itemAt(good.layout.tensors, 2);
  await rejects(mutated((b) => void b.writeUInt32LE(99, t2.typeOffset)), 'tensor.type', /unknown ggml type 99/);
  await rejects(mutated((b) => void b.writeUInt32LE(31, t2.typeOffset)), 'tensor.type', /type 31/);
});

test('metadata value types: unknown, nested arrays', async () => {
  const name = kvAt(good.layout, 'general.name');
  await rejects(mutated((b) => void b.writeUInt32LE(13, name.typeOffset)), 'kv.type', /general\.name.*unknown value type 13/);
  const scores = kvAt(good.layout, 'tokenizer.ggml.scores');
  await rejects(mutated((b) => void b.writeUInt32LE(9, scores.typeOffset + 4)), 'kv.type', /nested/);
  await rejects(mutated((b) => void b.writeUInt32LE(77, scores.typeOffset + 4)), 'kv.type', /item type 77/);
});

test('duplicates and a bad alignment', async () => {
  const tensor: TensorSpec = { name: 'w', type: GgmlType.F32, dims: [8] };
  const base = [kv.str('general.architecture', 'llama'), kv.u32('llama.block_count', 1)];
  await rejects(build([...base, kv.u32('llama.block_count', 2)], [tensor]).bytes, 'kv.key', /duplicate key 'llama\.block_count' \(already entry 1\)/);
  await rejects(build(base, [tensor, { ...tensor }]).bytes, 'tensor.name', /^tensor 1 'w': duplicate tensor name/);
  await rejects(build([...base, kv.u32('general.alignment', 48)], [tensor]).bytes, 'general.alignment', /power of two/);
  await rejects(build([...base, kv.u64('general.alignment', 32)], [tensor]).bytes, 'general.alignment', /uint32/);
  await rejects(build([kv.str('', 'x')], [tensor]).bytes, 'kv.key', /empty key/);
  await rejects(build(base, [{ ...tensor, name: 'x'.repeat(64) }]).bytes, 'tensor.name', /at most 63/);
  const ok = await parseGgufHeader(build([...base, kv.u32('general.alignment', 64)], [tensor, { ...tensor, name: 'v' }], 64).bytes);
  assert.equal(ok.alignment, 64);
  assert.equal(ok.tensors[1]?.offset, 64);
});

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-validate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('files on disk: the same errors through readGgufHeader', async () => {
  const path = join(dir, 'cut.gguf');
  await writeFile(path, good.bytes.subarray(0, good.layout.fileSize - 1000));
  await assert.rejects(readGgufHeader(path), (error: unknown) => error instanceof GgufFormatError && error.field === 'tensor.data');
  await writeFile(path, good.bytes);
  const header = await readGgufHeader(path);
  assert.equal(header.fileSize, good.bytes.length);
});

test('corrupt array counts over a 40 GB sparse hole are refused without reading the hole', async (t) => {
  const path = join(dir, 'hole.gguf');
  for (const [count, ok] of [[4_000_000_000n, false], [1_500_000n, true], [(3n << 20n) + 1n, false]] as const) {
    for (const array of [kv.strs('x', []), kv.u32s('y', []), kv.i32s('tokenizer.ggml.token_type', [])]) {
      const { header, layout } = serializeHeader([kv.str('general.architecture', 'llama'), array], []);
      header.writeBigUInt64LE(count, itemAt(layout.kvs, 1).valueOffset - 8);
      await writeFile(path, header);
      await truncate(path, 40 * 2 ** 30);
      const started = performance.now();
      const result = await readGgufHeader(path).then(
        () => true,
        (error: unknown) => {
          assert.ok(error instanceof GgufFormatError && error.field === 'kv.value', String(error));
          return false;
        },
      );
      t.diagnostic(`${count} items: ${(performance.now() - started).toFixed(1)} ms`);
      if (array.itemType === 8) assert.equal(result, ok, `${count} strings`);
    }
  }
});
