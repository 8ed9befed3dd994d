import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { ScriptedLauncher } from './scriptedServer';

test('supervisor: a port out of range (headroom.port 99999) fails the start with a sentence, before anything is launched', async () => {
  const launcher = new ScriptedLauncher(() => ({ serve: true }));
  const supervisor = new Supervisor({ launcher, resolveBinary: async () => ({ path: '/opt/llama-server' }), checkModel: async () => undefined });
  try {
    for (const port of [99999, 65536, -1, 80.5]) {
      await assert.rejects(supervisor.start({ modelPath: '/m.gguf', contextSize: 512, port, extraArgs: [] }), (err: Error) => {
        assert.equal(err.message, `Port ${port} is not a port: it must be a whole number from 1 to 65535, or 0 for any free port.`);
        return true;
      });
      assert.equal(supervisor.state.kind, 'failed');
    }
    assert.equal(launcher.launches.length, 0);
  } finally {
    supervisor.dispose();
  }
});
