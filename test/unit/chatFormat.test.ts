import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canStartServer, formatStats, statusMarker } from '../../src/webview/chat/format';

test('formatStats gives tokens, speed and time to first token', () => {
  assert.equal(formatStats({ tokens: 42, tokensPerSecond: 18.26, timeToFirstTokenMs: 120.4 }), '42 tokens · 18.3 tok/s · first token 120 ms');
  assert.equal(formatStats({ tokens: 1, tokensPerSecond: 0, timeToFirstTokenMs: 2500 }), '1 token · 0.0 tok/s · first token 2.5 s');
});

test('statusMarker marks stopped and failed replies only', () => {
  assert.equal(statusMarker('stopped'), 'Stopped');
  assert.equal(statusMarker('error', 'connection refused'), 'Error: connection refused');
  assert.equal(statusMarker('complete'), '');
  assert.equal(statusMarker('streaming'), '');
});

test('Start model is offered only when the server is not running or on its way', () => {
  assert.deepEqual(
    (['stopped', 'locating', 'building', 'starting', 'loading', 'ready', 'crashed', 'failed'] as const).filter(canStartServer),
    ['stopped', 'crashed', 'failed'],
  );
});
