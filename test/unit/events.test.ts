import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../src/extension/common/emitter';
import { nextEvent } from '../fixtures/events';

test('nextEvent: resolves with the first accepted value and stops listening', async () => {
  const emitter = new Emitter<number>();
  const seen: number[] = [];
  const accepted = nextEvent(emitter.event, 'an even number', (n) => {
    seen.push(n);
    return n % 2 === 0;
  });
  emitter.fire(1);
  emitter.fire(4);
  emitter.fire(6);
  assert.equal(await accepted, 4);
  assert.deepEqual(seen, [1, 4]);
});

test('nextEvent: an event that never comes rejects with what was awaited', async () => {
  const emitter = new Emitter<number>();
  await assert.rejects(nextEvent(emitter.event, 'the answer', (n) => n === 42, 10), /timed out after 10 ms waiting for the answer/);
});
