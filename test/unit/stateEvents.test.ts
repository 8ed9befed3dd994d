import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartPolicy } from '../../src/extension/llama/restartPolicy';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { ScriptedLauncher } from './scriptedServer';
import { untilState } from './stateEvents';

const config = { modelPath: '/models/m.gguf', port: 0, extraArgs: [], contextSize: 0 };
const BAD_MODEL = ["gguf_init_from_reader: invalid magic characters: 'xxxx'"];

function supervisor(serve: boolean): Supervisor {
  return new Supervisor({
    launcher: new ScriptedLauncher(() => (serve ? { serve: true } : { fail: BAD_MODEL })),
    resolveBinary: async () => ({ path: 'llama-server' }),
    checkModel: async () => undefined,
    healthIntervalMs: 10,
    stopGraceMs: 200,
    restartPolicy: new RestartPolicy({ baseDelayMs: 10 }),
  });
}

test('untilState: resolves with the state asked for, as the supervisor announced it', async () => {
  const sup = supervisor(true);
  try {
    const ready = untilState(sup, 'ready');
    const started = await sup.start(config);
    assert.equal((await ready).pid, started.pid);
  } finally {
    await sup.stop();
  }
});

test('untilState: a failure before the state asked for rejects with its error; asking for failed resolves', async () => {
  const sup = supervisor(false);
  const ready = untilState(sup, 'ready');
  const failed = untilState(sup, 'failed');
  await assert.rejects(sup.start(config));
  await assert.rejects(ready, /^Error: failed instead of ready: .*could not load the model/);
  assert.match((await failed).error, /could not load the model/);
});

test('untilState: a state that never comes rejects after the timeout, naming the state the supervisor is in', async () => {
  await assert.rejects(untilState(supervisor(true), 'ready', 10), /timed out after 10 ms waiting for the ready state; the state is stopped/);
});
