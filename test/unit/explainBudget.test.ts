import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBudget, fitLargest } from '../../src/extension/explain/budget';
import { explain } from '../../src/extension/explain/explainer';
import { explainMessages } from '../../src/extension/explain/prompt';
import type { ExplainSubject } from '../../src/extension/explain/subject';
import { FakeRecordingBackend, FakeWordTokenizer, messageTokens, RecordingSink, userContent } from './explainFakes';
import { itemAt } from '../fixtures/itemAt';

function lines(prefix: string, n: number, wordsPerLine = 5): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i} ${'w '.repeat(wordsPerLine - 1).trim()}`);
}

function subjectWith(codeLines: number, before = 100, after = 50): ExplainSubject {
  return {
    languageId: 'python',
    fileName: 'app/main.py',
    startLine: before + 1,
    code: lines('sel', codeLines).join('\n'),
    before: lines('above', before),
    after: lines('below', after),
  };
}

test('defaultBudget leaves a quarter of the context for the answer, within bounds', () => {
  assert.deepEqual(defaultBudget(8192), { contextSize: 8192, answerTokens: 1024, summaryTokens: 512 });
  assert.deepEqual(defaultBudget(512), { contextSize: 512, answerTokens: 128, summaryTokens: 64 });
  assert.equal(defaultBudget(100).answerTokens, 64);
});

test('fitLargest with a fake tokenizer: one count when everything fits, else the largest window that fits (same as brute force)', async () => {
  const s = subjectWith(10);
  const build = (k: number) => explainMessages(s, { before: k, after: k });
  const counter = new FakeWordTokenizer();
  const all = await fitLargest(build, 100, 100_000, counter);
  assert.equal(all?.size, 100);
  assert.equal(counter.calls, 1);
  for (const limit of [120, 300, 777, 1500]) {
    const fitted = await fitLargest(build, 100, limit, new FakeWordTokenizer());
    let brute = -1;
    for (let k = 0; k <= 100; k++) if (messageTokens(build(k)) <= limit) brute = k;
    assert.equal(fitted?.size ?? -1, brute, `limit ${limit}`);
    if (fitted) assert.ok(fitted.tokens <= limit);
  }
  assert.equal(await fitLargest(build, 100, 20, new FakeWordTokenizer()), undefined, 'the selection alone is too big');
});

test('explain with a fake tokenizer: trims the surrounding code to leave room for the answer, keeps the nearest lines, streams the answer', async () => {
  const s = subjectWith(8);
  const budget = defaultBudget(600);
  const backend = new FakeRecordingBackend(() => 'This function adds things and returns them.');
  const sink = new RecordingSink();
  const result = await explain(s, { backend, counter: new FakeWordTokenizer(), budget }, sink);
  assert.equal(backend.requests.length, 1);
  const request = itemAt(backend.requests, 0);
  assert.equal(request.maxTokens, budget.answerTokens);
  const tokens = messageTokens(request.messages);
  assert.ok(tokens + budget.answerTokens <= 600, `prompt ${tokens} + answer ${budget.answerTokens} fit 600`);
  assert.ok(tokens > 600 - budget.answerTokens - 30, 'and uses most of the room');
  const user = userContent(request.messages);
  assert.match(user, /above99 /, 'the nearest line before is kept');
  assert.match(user, /below0 /, 'the nearest line after is kept');
  assert.doesNotMatch(user, /above0 /, 'far lines are trimmed');
  for (let i = 0; i < 8; i++) assert.match(user, new RegExp(`sel${i} `), 'the whole selection is there');
  assert.equal(result.answer, 'This function adds things and returns them.');
  assert.ok(sink.pieces.length > 1, 'streamed in pieces');
  assert.equal(sink.pieces.join(''), result.answer);
  assert.equal(result.parts, 0);
  assert.deepEqual(sink.notes, []);
});

test('explain with a fake tokenizer: a selection larger than the context is summarized by parts, every line read once, nothing cut silently', async () => {
  const s = subjectWith(300);
  const budget = defaultBudget(512);
  const backend = new FakeRecordingBackend((request, i) => (request.maxTokens === budget.summaryTokens ? `Summary ${i} of a part.` : 'The whole thing explained.'));
  const sink = new RecordingSink();
  const result = await explain(s, { backend, counter: new FakeWordTokenizer(), budget }, sink);
  const parts = backend.requests.filter((r) => /This is part \d+ of \d+/.test(userContent(r.messages)));
  assert.ok(parts.length > 3, `expected several parts, got ${parts.length}`);
  assert.equal(result.parts, parts.length);
  for (const r of backend.requests) {
    assert.ok(messageTokens(r.messages) + (r.maxTokens ?? 0) <= 512, 'every request fits the context with its answer');
  }
  const seen = parts.flatMap((r) => userContent(r.messages).match(/sel\d+ /g) ?? []);
  assert.deepEqual(seen, s.code.split('\n').map((l) => l.split(' ')[0] + ' '), 'each selected line in exactly one part, in order');
  const final = itemAt(backend.requests, -1);
  assert.equal(final.maxTokens, budget.answerTokens);
  assert.match(userContent(final.messages), /summarized by parts/);
  assert.equal(result.answer, 'The whole thing explained.');
  assert.deepEqual(result.messages, final.messages);
  assert.equal(sink.notes.length, 1);
  assert.match(itemAt(sink.notes, 0), /300 lines.*512-token context.*in \d+ parts/);
  assert.ok(sink.statuses.some((m) => /Reading part 2 of/.test(m)));
});

test('explain with a fake tokenizer: when the part summaries do not fit together, they are merged first', async () => {
  const s = subjectWith(400, 0, 0);
  const budget = { contextSize: 300, answerTokens: 100, summaryTokens: 60 };
  const longSummary = 'summary '.repeat(50).trim();
  const backend = new FakeRecordingBackend((request) => (request.maxTokens === budget.summaryTokens ? longSummary : 'Final.'));
  const result = await explain(s, { backend, counter: new FakeWordTokenizer(), budget }, new RecordingSink());
  const merges = backend.requests.filter((r) => /Merge them into one shorter summary/.test(userContent(r.messages)));
  assert.ok(merges.length > 0, 'merge requests were made');
  for (const r of backend.requests) assert.ok(messageTokens(r.messages) + (r.maxTokens ?? 0) <= 300);
  assert.equal(result.answer, 'Final.');
});

test('explain with a fake tokenizer: aborting stops the stream and makes no further requests', async () => {
  const controller = new AbortController();
  const backend = new FakeRecordingBackend(() => 'word '.repeat(100));
  const sink = new RecordingSink();
  const originalText = sink.text.bind(sink);
  sink.text = (delta: string) => {
    originalText(delta);
    if (sink.pieces.length === 3) controller.abort();
  };
  await assert.rejects(explain(subjectWith(300), { backend, counter: new FakeWordTokenizer(), budget: defaultBudget(512) }, sink, controller.signal));
  const count = backend.requests.length;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(backend.requests.length, count);
  assert.ok(sink.pieces.length <= 4);
});
