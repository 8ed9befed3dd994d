import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GgufFormatError } from '../../src/extension/gguf/header';
import { resolveServer } from '../../src/extension/llama/locateServer';
import { writeGguf } from '../../src/extension/gguf/writer/ggufWriter';
import { tinyModelSpec } from '../../src/extension/gguf/writer/models';
import { isAlive, llamaServersWith, RecordingLauncher, supervisorFor, withTinyModel } from './realServer';

describe('bad input ends in a clear error, no hang, no process left', () => {
  const fx = withTinyModel('bad');

  async function expectFailure(modelPath: string, pattern: RegExp | ((err: unknown) => boolean), options: { port?: number; launches?: number } = {}): Promise<void> {
    const launcher = new RecordingLauncher();
    const supervisor = supervisorFor(fx.binary, launcher);
    await assert.rejects(supervisor.start({ modelPath, contextSize: 512, port: options.port ?? 0, extraArgs: [] }), pattern);
    assert.equal(supervisor.state.kind, 'failed');
    assert.equal(launcher.started.length, options.launches ?? 0);
    for (const p of launcher.started) {
      await p.exited;
      assert.equal(isAlive(p.pid), false);
    }
    assert.deepEqual(llamaServersWith(modelPath), []);
  }

  test('a truncated model is refused before llama-server sees it, naming the tensor', async () => {
    const path = join(fx.dir, 'truncated.gguf');
    copyFileSync(fx.model, path);
    truncateSync(path, Math.floor(readFileSync(path).length * 0.6));
    await expectFailure(path, (err: unknown) => err instanceof GgufFormatError && /tensor/.test(err.message) && /truncated|past|ends/i.test(err.message));
  });

  test('a file that is not GGUF at all is refused before llama-server sees it', async () => {
    const path = join(fx.dir, 'notes.gguf');
    writeFileSync(path, 'These are my notes, not a model.\n'.repeat(20));
    await expectFailure(path, /not a GGUF file/i);
  });

  test('a missing model file says so', async () => {
    await expectFailure(join(fx.dir, 'nope.gguf'), /does not exist/);
  });

  test('a valid GGUF that llama.cpp cannot load (unknown architecture): the server exits and the reason is classified', async () => {
    const spec = tinyModelSpec('tiny-dense');
    const kvs = spec.kvs.map((kv) => (kv.key === 'general.architecture' ? { ...kv, value: 'martian' } : kv));
    const path = join(fx.dir, 'martian.gguf');
    await writeGguf(path, kvs, spec.tensors);
    // llama.cpp's logger thread can lose the last lines of a process that exits right after writing them
    // (ggml-org/llama.cpp#22142): seen once in ~20 runs here as a bare "exited with code 1". Only that case is
    // tried again, at most twice; a wrong classification of lines that did arrive fails at once.
    for (let attempt = 1; ; attempt++) {
      try {
        await expectFailure(path, /stopped while loading martian\.gguf: llama\.cpp could not load the model/, { launches: 1 });
        return;
      } catch (err) {
        if (attempt === 3 || !/llama-server exited with code 1\./.test(String((err as Error).message))) throw err;
      }
    }
  });

  test('a port already taken by another program is reported before spawning', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, r));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      await expectFailure(fx.model, new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`), { port });
    } finally {
      blocker.close();
    }
  });

  test('a configured llama-server path that does not exist is an error, not a silent fallback', async () => {
    await assert.rejects(
      resolveServer({ configuredPath: join(fx.dir, 'llama-server'), cacheRoot: fx.dir, sourceFrom: fx.dir }),
      /headroom\.llamaServerPath .* does not exist/,
    );
  });

  test('a binary that cannot be started gives a clear error', async () => {
    const launcher = new RecordingLauncher();
    const supervisor = supervisorFor(join(fx.dir, 'missing-binary'), launcher);
    await assert.rejects(supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] }), /Could not start .*missing-binary: the file does not exist/);
    assert.equal(supervisor.state.kind, 'failed');
    assert.equal(launcher.started.length, 0);
  });
});
