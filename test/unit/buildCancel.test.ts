// Cancelling a start while llama.cpp builds (the build notification's Cancel stops the start): the build is
// told through its signal, and the time left shown beside the build's percentage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CancelledError } from '../../src/extension/common/errors';
import { secondsLeft } from '../../src/extension/common/timeLeft';
import { buildProgressText } from '../../src/extension/present/buildProgressText';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { ScriptedLauncher } from './scriptedServer';
import { untilState } from './stateEvents';

const config = { modelPath: '/models/m.gguf', port: 0, extraArgs: [], contextSize: 0 };

test('stop() during the build a start needs aborts that build and ends the start; nothing is launched', async () => {
  let signal: AbortSignal | undefined;
  const launcher = new ScriptedLauncher(() => ({ serve: true }));
  const sup = new Supervisor({
    launcher,
    resolveBinary: (onProgress, s) => {
      signal = s;
      onProgress(12, 'compiling ggml');
      return new Promise((_, reject) => s?.addEventListener('abort', () => reject(new CancelledError('The build was cancelled.'))));
    },
    checkModel: async () => undefined,
  });
  const building = untilState(sup, 'building');
  const start = sup.start(config);
  await building;
  assert.equal(signal?.aborted, false);
  await sup.stop();
  assert.equal(signal?.aborted, true, 'the build was told to stop');
  await assert.rejects(start, CancelledError);
  assert.equal(sup.state.kind, 'stopped');
  assert.equal(launcher.launches.length, 0);
});

test('time left of a build: from its pace so far, and nothing before it means anything', () => {
  assert.equal(secondsLeft(25, 60_000), 180, '25 % in a minute: three more minutes');
  assert.equal(secondsLeft(50, 10_000), 10);
  assert.equal(secondsLeft(1, 60_000), undefined, 'too little done');
  assert.equal(secondsLeft(40, 1_000), undefined, 'too soon');
  assert.equal(secondsLeft(100, 60_000), undefined, 'done');
  assert.equal(secondsLeft(Number.NaN, 60_000), undefined);
  assert.equal(buildProgressText(25, 'compiling ggml', 60_000), '25% · about 3m 00s left · compiling ggml');
  assert.equal(buildProgressText(1, 'configuring', 1_000), '1% · configuring');
});
