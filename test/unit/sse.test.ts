import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../src/extension/chat/sse';
import { eventToDeltas, parseTimings } from '../../src/extension/chat/openaiClient';

const enc = new TextEncoder();

test('SSE: events split across arbitrary chunk boundaries come out whole', () => {
  const stream = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\n: comment\n\ndata: [DONE]\n\n';
  for (let cut = 1; cut < stream.length; cut++) {
    const p = new SseParser();
    const events = [...p.push(enc.encode(stream.slice(0, cut))), ...p.push(enc.encode(stream.slice(cut))), ...p.end()];
    assert.deepEqual(events, ['{"a":1}', '{"b":2}', '[DONE]'], `cut at ${cut}`);
  }
});

test('SSE: multi-line data joins with newlines; other fields are ignored', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('event: x\nid: 3\ndata: line1\ndata:line2\ndata\n\n'), ['line1\nline2\n']);
});

test('SSE: a multi-byte character split between chunks is decoded intact', () => {
  const bytes = enc.encode('data: {"t":"日本"}\n\n');
  const p = new SseParser();
  const events = [...p.push(bytes.slice(0, 12)), ...p.push(bytes.slice(12))];
  assert.deepEqual(events, ['{"t":"日本"}']);
});

test('SSE: a last event without its blank line is delivered at end()', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('data: x'), []);
  assert.deepEqual(p.end(), ['x']);
});

test('chat chunks: content deltas, finish with timings, [DONE] ends', () => {
  assert.deepEqual(eventToDeltas('{"choices":[{"delta":{"content":"Hi"}}]}'), [{ kind: 'text', text: 'Hi' }]);
  const done = eventToDeltas(
    '{"choices":[{"delta":{},"finish_reason":"length"}],"timings":{"prompt_n":5,"prompt_ms":10,"prompt_per_second":500,"predicted_n":8,"predicted_ms":100,"predicted_per_second":80}}',
  );
  assert.deepEqual(done, [
    { kind: 'done', finishReason: 'length', timings: { promptTokens: 5, promptMs: 10, promptPerSecond: 500, predictedTokens: 8, predictedMs: 100, predictedPerSecond: 80 } },
  ]);
  assert.equal(eventToDeltas('[DONE]'), 'end');
});

test('chat chunks: hostile or malformed replies are skipped, not crashes', () => {
  for (const bad of ['not json', '[]', 'null', '{"choices":"x"}', '{"choices":[{"delta":{"content":42}}]}', '{"choices":[null]}']) {
    assert.deepEqual(eventToDeltas(bad), [], bad);
  }
  assert.equal(parseTimings({ predicted_n: 'x', predicted_per_second: Infinity })?.predictedTokens, 0);
});

test('chat chunks: a server error event becomes an error with its message', () => {
  assert.throws(() => eventToDeltas('{"error":{"code":500,"message":"context full"}}'), /context full/);
});
