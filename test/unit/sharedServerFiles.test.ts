// The shared server's files on their own: the state record, the key file, the leases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedApiKey } from '../../src/extension/llama/shared/apiKeyFile';
import { liveLeases, releaseLease, takeLease } from '../../src/extension/llama/shared/leases';
import { keyHash, readSharedState, sharedPaths, STATE_VERSION, writeSharedState, type SharedServerRecord } from '../../src/extension/llama/shared/sharedState';
import { inTempDir } from '../fixtures/fakeTools';

const RECORD: SharedServerRecord = {
  version: STATE_VERSION,
  identity: '{"model":"/m.gguf"}',
  pid: 1234,
  port: 8080,
  keyHash: keyHash('k'),
  token: 'abc',
  modelPath: '/m.gguf',
  binary: '/bin/llama-server',
  args: ['-m', '/m.gguf', '--port', '8080'],
  idleStopMs: 600_000,
  startedAt: new Date(0).toISOString(),
};

test('state record: written whole and read back; a missing, torn or foreign file is no record', async () => {
  await inTempDir('shared-state', async (dir) => {
    const { state } = sharedPaths(dir, 'id');
    assert.equal(await readSharedState(state), undefined);
    await writeSharedState(state, RECORD);
    assert.deepEqual(await readSharedState(state), RECORD);
    assert.equal(statSync(state).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['id.json'], 'no temporary file left');
    writeFileSync(state, JSON.stringify(RECORD).slice(0, 40));
    assert.equal(await readSharedState(state), undefined);
    writeFileSync(state, JSON.stringify({ ...RECORD, version: 99 }));
    assert.equal(await readSharedState(state), undefined);
    writeFileSync(state, JSON.stringify({ ...RECORD, args: [1, 2] }));
    assert.equal(await readSharedState(state), undefined);
  });
});

test('key file: made once with mode 0600; windows racing to make it agree on one key', async () => {
  await inTempDir('shared-key', async (dir) => {
    const path = join(dir, 'api-key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => sharedApiKey(path)));
    assert.equal(new Set(keys).size, 1);
    assert.ok((keys[0] ?? '').length >= 32);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(await sharedApiKey(path), keys[0]);
  });
});

test('leases: a live holder counts, a dead one is ignored and its file removed, a released one is gone', async () => {
  await inTempDir('shared-leases', async (dir) => {
    const leases = join(dir, 'x.leases');
    const dead = spawn(process.execPath, ['-e', '0']);
    await once(dead, 'exit');
    await takeLease(leases, process.pid);
    await takeLease(leases, dead.pid ?? 0);
    writeFileSync(join(leases, 'not-a-pid'), '');
    assert.deepEqual(await liveLeases(leases), [process.pid]);
    assert.deepEqual(readdirSync(leases), [String(process.pid)]);
    await releaseLease(leases, process.pid);
    assert.deepEqual(await liveLeases(leases), []);
  });
});
