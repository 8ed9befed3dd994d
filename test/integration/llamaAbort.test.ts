// Files llama.cpp aborts on (SIGABRT from a GGML_ASSERT) are refused by the validator first; with the validator
// bypassed, the real llama-fit-params and llama-server abort, and what the user reads names the assertion, not
// the model path or the GPU.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadroomError } from '../../src/extension/common/errors';
import { GgufFormatError, readGgufHeader } from '../../src/extension/gguf/header';
import { kv, serializeGguf, type GgufKv } from '../../src/extension/gguf/writer/ggufWriter';
import { tinyModelSpec } from '../../src/extension/gguf/writer/models';
import { dryRun } from '../../src/extension/llama/dryRun';
import { ServerLoadError } from '../../src/extension/llama/serverLoadError';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { isAlive, llamaServersWith, realServer, RecordingLauncher, tempDir } from './realServer';

function writeTiny(path: string, replace: GgufKv, alignment?: number): void {
  const spec = tinyModelSpec('tiny-dense');
  const kvs = [...spec.kvs.filter((k) => k.key !== replace.key), replace];
  writeFileSync(path, serializeGguf(kvs, spec.tensors, { alignment }).bytes);
}

describe('llama.cpp aborts: refused first, and said in words when it happens anyway', () => {
  const dir = tempDir('abort');
  after(() => dir.dispose());
  const zeroLayers = join(dir.path, 'zero-layers.gguf');
  const misaligned = join(dir.path, 'misaligned.gguf');
  writeTiny(zeroLayers, kv.u32('llama.block_count', 0));
  writeTiny(misaligned, kv.u32('general.alignment', 8), 8);

  test('the validator refuses both files, naming the field', async () => {
    await assert.rejects(readGgufHeader(zeroLayers), (err: unknown) => err instanceof GgufFormatError && err.field === 'llama.block_count' && /block_count is 0; llama\.cpp needs at least 1 layer/.test(err.message));
    await assert.rejects(readGgufHeader(misaligned), (err: unknown) => err instanceof GgufFormatError && err.field === 'general.alignment' && /general\.alignment is 8/.test(err.message));
  });

  test('validator bypassed: llama-fit-params aborts, and the dry run says llama.cpp could not load the file and why', async () => {
    const server = await realServer();
    assert.ok(server.fitParams, 'this build has llama-fit-params');
    await assert.rejects(dryRun(server.fitParams, zeroLayers, ['--ctx-size', '512', '-t', '1']), (err: unknown) => {
      assert.ok(err instanceof HeadroomError, String(err));
      assert.match(
        err.message,
        /^llama-fit-params could not plan .*zero-layers\.gguf: llama\.cpp could not load this file: GGML_ASSERT\(hparams\.n_layer_all > 0 && hparams\.n_layer_all <= LLAMA_MAX_LAYERS\) failed \(llama-model\.cpp:\d+\)$/,
      );
      assert.doesNotMatch(err.message, /modelPath|GPU|Invalid array length/);
      return true;
    });
  });

  test('validator bypassed: llama-server aborts mapping the file, and the load error names the assertion', async () => {
    const server = await realServer();
    const launcher = new RecordingLauncher();
    const supervisor = new Supervisor({ launcher, resolveBinary: async () => ({ path: server.path }), checkModel: async () => undefined, stopGraceMs: 3_000 });
    try {
      await assert.rejects(supervisor.start({ modelPath: misaligned, contextSize: 512, port: 0, extraArgs: ['-t', '1'] }), (err: unknown) => {
        assert.ok(err instanceof ServerLoadError, String(err));
        assert.equal(err.failure.kind, 'bad-model');
        assert.match(err.message, /^llama-server stopped while loading misaligned\.gguf: llama\.cpp could not load this file: GGML_ASSERT\(.*"buffer pointer must be aligned"\) failed \(ggml-backend\.cpp:\d+\)$/);
        assert.doesNotMatch(err.message, /modelPath|GPU/);
        return true;
      });
      assert.equal(launcher.started.length, 1);
      for (const p of launcher.started) {
        await p.exited;
        assert.equal(isAlive(p.pid), false);
      }
      assert.deepEqual(llamaServersWith(misaligned), []);
    } finally {
      supervisor.dispose();
    }
  });
});
