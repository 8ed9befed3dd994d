import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaCoalescer, type CoalescerClock } from '../../src/extension/present/deltaCoalescer';
import type { HostToWebview } from '../../src/webview/protocol/chat';

class ManualClock implements CoalescerClock {
  t = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  schedule(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.live && x.at <= this.t)) {
      timer.live = false;
      timer.fn();
    }
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
}

function setup() {
  const clock = new ManualClock();
  const posted: HostToWebview[] = [];
  const coalescer = new DeltaCoalescer((m) => posted.push(m), 30, clock);
  return { clock, posted, coalescer };
}

const delta = (text: string, id = 'a'): HostToWebview => ({ type: 'entryDelta', id, text });

test('the first delta goes out at once; the next ones within 30 ms are merged into one message', () => {
  const { clock, posted, coalescer } = setup();
  coalescer.push(delta('He'));
  assert.deepEqual(posted, [delta('He')]);
  clock.advance(5);
  coalescer.push(delta('l'));
  clock.advance(5);
  coalescer.push(delta('lo'));
  assert.equal(posted.length, 1);
  clock.advance(20);
  assert.deepEqual(posted, [delta('He'), delta('llo')]);
  assert.equal(clock.pending, 0);
});

test('at most one delta message per interval under a steady stream', () => {
  const { clock, posted, coalescer } = setup();
  for (let i = 0; i < 300; i++) {
    coalescer.push(delta('x'));
    clock.advance(1);
  }
  coalescer.flush();
  assert.ok(posted.length <= 11, `${posted.length} messages for 300 ms`);
  assert.equal(posted.map((m) => (m.type === 'entryDelta' ? m.text : '')).join(''), 'x'.repeat(300));
});

test('entryDone flushes pending text first', () => {
  const { clock, posted, coalescer } = setup();
  coalescer.push(delta('a'));
  coalescer.push(delta('b'));
  coalescer.push({ type: 'entryDone', id: 'a', status: 'complete' });
  assert.deepEqual(posted, [delta('a'), delta('b'), { type: 'entryDone', id: 'a', status: 'complete' }]);
  clock.advance(100);
  assert.equal(posted.length, 3);
});

test('deltas for different entries stay separate and in order', () => {
  const { clock, posted, coalescer } = setup();
  coalescer.push(delta('1', 'a'));
  coalescer.push(delta('2', 'a'));
  coalescer.push(delta('3', 'b'));
  clock.advance(30);
  assert.deepEqual(posted, [delta('1', 'a'), delta('2', 'a'), delta('3', 'b')]);
});

test('discard() drops pending text and its timer', () => {
  const { clock, posted, coalescer } = setup();
  coalescer.push(delta('a'));
  coalescer.push(delta('b'));
  coalescer.discard();
  clock.advance(100);
  assert.deepEqual(posted, [delta('a')]);
  assert.equal(clock.pending, 0);
});
