import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { isAlive, realServer, tempDir, tinyModel, waitFor } from './realServer';

test('llama-server does not outlive a host process that is killed without stopping it', async () => {
  const binary = (await realServer()).path;
  const dir = tempDir('reaper');
  try {
    const model = await tinyModel(dir.path);
    // A stand-in host: starts a supervised server, prints its pid, then waits to be killed.
    const script = `
      const { supervisorFor } = require(${JSON.stringify(join(__dirname, 'realServer.js'))});
      supervisorFor(${JSON.stringify(binary)}).start({ modelPath: ${JSON.stringify(model)}, contextSize: 256, port: 0, extraArgs: [] })
        .then((s) => console.log(s.pid), (e) => { console.error(e); process.exit(1); });
      setInterval(() => {}, 1000);`;
    const host = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    host.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const pid = await waitFor('the server pid', () => (/^\d+$/m.test(out) ? Number(out.trim()) : undefined), 60_000);
    assert.equal(isAlive(pid), true);
    host.kill('SIGKILL');
    await waitFor('llama-server to be reaped', () => !isAlive(pid), 15_000);
  } finally {
    dir.dispose();
  }
});
