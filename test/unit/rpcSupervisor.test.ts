// The supervisor with RPC workers, against a scripted llama-server (fake: the abort lines are llama.cpp's own, printed
// by a stand-in) and real TCP workers: a listening socket answers like a worker, a port with nothing on it is a dead one.
import { createServer, type Server } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findFreePort } from '../../src/extension/llama/ports';
import type { Supervisor } from '../../src/extension/llama/supervisor';
import { ScriptedLauncher, scriptedSupervisor } from './scriptedServer';
import { untilState } from './stateEvents';

const LOST = ['/src/ggml/src/ggml-rpc/ggml-rpc.cpp:569: Remote RPC server crashed or returned malformed response'];

async function listening(): Promise<{ address: string; server: Server }> {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { address: `127.0.0.1:${address.port}`, server };
}

function supervisor(stallTimeoutMs = 0): { sup: Supervisor; launcher: ScriptedLauncher } {
  const launcher = new ScriptedLauncher(() => ({ serve: true }));
  return { sup: scriptedSupervisor(launcher, { stallTimeoutMs: () => stallTimeoutMs }), launcher };
}

const configWith = (workers: readonly string[]) => ({ modelPath: '/models/m.gguf', port: 0, extraArgs: [], contextSize: 0, planArgs: ['--rpc', workers.join(','), '-ngl', '99'] });

test('scripted llama-server (fake), real TCP workers: an RPC abort with a worker gone fails the run naming it, its reply is told, no restart', async () => {
  const alive = await listening();
  const dead = `127.0.0.1:${await findFreePort()}`;
  const { sup, launcher } = supervisor();
  try {
    const server = await sup.start(configWith([alive.address, dead]));
    const told = new Promise<string>((resolve) => server.watch.onStall(resolve));
    const kinds: string[] = [];
    sup.onDidChangeState((s) => kinds.push(s.kind));
    const failed = untilState(sup, 'failed');
    launcher.crashAll(LOST);
    const error = (await failed).error;
    assert.match(error, new RegExp(`^RPC worker ${dead} stopped answering\\. llama-server was not restarted`));
    assert.doesNotMatch(error, new RegExp(alive.address), 'the worker that answers is not named');
    assert.equal(await told, error);
    assert.deepEqual(kinds, ['failed']);
    assert.equal(launcher.launches.length, 1);
  } finally {
    await sup.stop();
    alive.server.close();
  }
});

test('scripted llama-server (fake), real TCP workers: an RPC abort while every worker answers is a crash, restarted as usual', async () => {
  const a = await listening();
  const b = await listening();
  const { sup, launcher } = supervisor();
  try {
    await sup.start(configWith([a.address, b.address]));
    const crashed = untilState(sup, 'crashed');
    const again = untilState(sup, 'ready');
    launcher.crashAll(LOST);
    assert.match((await crashed).reason, /An RPC worker stopped answering/);
    await again;
    assert.equal(launcher.launches.length, 2);
  } finally {
    await sup.stop();
    a.server.close();
    b.server.close();
  }
});

test('scripted llama-server (fake), real TCP workers: a stall with a worker gone names the worker instead of restarting', async () => {
  const dead = `127.0.0.1:${await findFreePort()}`;
  const { sup, launcher } = supervisor(1_000);
  try {
    const server = await sup.start(configWith([dead]));
    const told = new Promise<string>((resolve) => server.watch.onStall(resolve));
    const failed = untilState(sup, 'failed');
    launcher.stallAll();
    assert.match((await failed).error, new RegExp(`^RPC worker ${dead} stopped answering`));
    assert.match(await told, new RegExp(`^RPC worker ${dead}`));
    assert.equal(launcher.launches.length, 1);
  } finally {
    await sup.stop();
  }
});
