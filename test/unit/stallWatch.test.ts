// The stall watch against a real HTTP server standing in for llama-server's /health (fake: it answers, or
// holds every request unanswered as a stopped process would); waits on the probes it receives, not on a clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StallWatch } from '../../src/extension/llama/stallWatch';

interface FakeHealth {
  baseUrl: string;
  /** Resolves once the watch has asked /health `count` times in all. */
  probes(count: number): Promise<void>;
  close(): Promise<void>;
}

async function fakeHealth(answer: boolean, onProbe: () => void = () => undefined): Promise<FakeHealth> {
  let received = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => {
    received++;
    onProbe();
    for (const w of waiters.filter((w) => received >= w.count)) w.resolve();
    if (answer) res.end('{"status":"ok"}');
    else held.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    probes: (count) => new Promise((resolve) => (received >= count ? resolve() : waiters.push({ count, resolve }))),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('stall watch (fake /health that answers nothing, no reply activity): onSilent once, no sooner than the timeout', async () => {
  const health = await fakeHealth(false);
  const started = performance.now();
  let calls = 0;
  const silent = new Promise<number>((resolve) => {
    const watch = new StallWatch({ baseUrl: health.baseUrl, timeoutMs: 1_000, onSilent: () => resolve(++calls) });
    void health.probes(20).then(() => watch.dispose());
  });
  try {
    assert.equal(await silent, 1);
    assert.ok(performance.now() - started >= 1_000, 'not before the timeout');
  } finally {
    await health.close();
  }
});

test('stall watch (fake /health that answers nothing): reply activity keeps the server alive; without it, it stalls', async () => {
  let activity = true;
  let watch: StallWatch | undefined;
  // Tokens keep flowing while /health is silent (a busy HTTP pool): each probe comes with a chunk.
  const health = await fakeHealth(false, () => activity && watch?.activity());
  let silent = false;
  const stalled = new Promise<void>((resolve) => {
    watch = new StallWatch({ baseUrl: health.baseUrl, timeoutMs: 1_000, onSilent: () => ((silent = true), resolve()) });
  });
  try {
    // 12 probes span twice the timeout (one every ~170 ms).
    await health.probes(12);
    assert.equal(silent, false, 'chunks are signs of life');
    activity = false;
    await stalled;
  } finally {
    watch?.dispose();
    await health.close();
  }
});

test('stall watch (fake /health that answers): an idle server that answers /health is alive; dispose() ends the probes', async () => {
  const health = await fakeHealth(true);
  let silent = false;
  const watch = new StallWatch({ baseUrl: health.baseUrl, timeoutMs: 1_000, onSilent: () => (silent = true) });
  try {
    await health.probes(12);
    assert.equal(silent, false);
    assert.equal(watch.stallTimeoutMs, 1_000);
  } finally {
    watch.dispose();
    await health.close();
  }
});

test('stall watch: stall(message) tells every reply once, and a timeout of 0 never probes', async () => {
  const health = await fakeHealth(true);
  const watch = new StallWatch({ baseUrl: health.baseUrl, timeoutMs: 0, onSilent: () => assert.fail('off') });
  const told: string[] = [];
  watch.onStall((m) => told.push(m));
  watch.onStall((m) => told.push(m));
  watch.stall('llama-server stopped responding for 60 s; restarted it.');
  assert.deepEqual(told, ['llama-server stopped responding for 60 s; restarted it.', 'llama-server stopped responding for 60 s; restarted it.']);
  watch.dispose();
  await health.close();
});
