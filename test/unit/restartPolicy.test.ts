import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartPolicy } from '../../src/extension/llama/restartPolicy';

test('restart policy: backoff doubles and gives up at the 5th crash within 3 minutes', () => {
  let now = 0;
  const policy = new RestartPolicy({ now: () => now });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    const d = policy.onCrash();
    assert.equal(d.restart, true);
    if (d.restart) delays.push(d.delayMs);
    now += 10_000;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000]);
  assert.deepEqual(policy.onCrash(), { restart: false, crashesInWindow: 5 });
});

test('restart policy: crashes older than the window are forgotten', () => {
  let now = 0;
  const policy = new RestartPolicy({ now: () => now });
  for (let i = 0; i < 4; i++) policy.onCrash();
  now += 3 * 60_000 + 1;
  const d = policy.onCrash();
  assert.deepEqual(d, { restart: true, delayMs: 1000, crashesInWindow: 1 });
});

test('restart policy: reset starts a fresh count; the delay is capped', () => {
  const policy = new RestartPolicy({ now: () => 0, maxCrashes: 100, maxDelayMs: 5000 });
  for (let i = 0; i < 10; i++) policy.onCrash();
  const d = policy.onCrash();
  assert.equal(d.restart && d.delayMs, 5000);
  policy.reset();
  assert.equal(policy.onCrash().crashesInWindow, 1);
});
