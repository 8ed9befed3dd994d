import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conversation, type ConversationEvent } from '../../src/extension/chat/conversation';
import type { ChatBackend, ChatRequest, Delta, ServerTimings } from '../../src/extension/chat/types';
import { itemAt } from '../fixtures/itemAt';

/** One step of a scripted reply. */
type Step =
  | { text: string }
  | { advance: number }
  | { done: ServerTimings | undefined }
  | { fail: string }
  | { waitFor: Promise<void> };

/** A fake ChatBackend: plays a script per call and records each request; honours the abort signal. */
class ScriptedFakeBackend implements ChatBackend {
  readonly requests: ChatRequest[] = [];
  private readonly scripts: Step[][];

  constructor(private readonly clock: FakeClock, ...scripts: Step[][]) {
    this.scripts = scripts;
  }

  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta> {
    this.requests.push(structuredClone(request));
    const script = this.scripts.shift() ?? [];
    for (const step of script) {
      if (signal?.aborted) throw new Error('aborted');
      if ('text' in step) yield { kind: 'text', text: step.text };
      else if ('advance' in step) this.clock.t += step.advance;
      else if ('done' in step) yield { kind: 'done', finishReason: 'stop', timings: step.done };
      else if ('fail' in step) throw new Error(step.fail);
      else await untilAborted(step.waitFor, signal);
    }
  }
}

function untilAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject);
  });
}

class FakeClock {
  t = 1000;
  readonly now = () => this.t;
}

function record(conversation: Conversation): ConversationEvent[] {
  const events: ConversationEvent[] = [];
  conversation.onEvent((e) => events.push(e));
  return events;
}

const timings: ServerTimings = {
  promptTokens: 10,
  promptMs: 50,
  promptPerSecond: 200,
  predictedTokens: 42,
  predictedMs: 2295,
  predictedPerSecond: 18.3,
};

test('deltas from a fake backend accumulate into one assistant entry, with events in order', async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(clock, [{ text: 'Hel' }, { text: 'lo' }, { text: ', world' }, { done: undefined }]);
  const conversation = new Conversation({ now: clock.now });
  const events = record(conversation);

  const reply = await conversation.send('Say hello', backend);

  assert.equal(reply.text, 'Hello, world');
  assert.equal(reply.status, 'complete');
  assert.deepEqual(
    conversation.entries.map((e) => [e.role, e.text, e.status]),
    [
      ['user', 'Say hello', 'complete'],
      ['assistant', 'Hello, world', 'complete'],
    ],
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ['entryAdded', 'entryAdded', 'busy', 'entryDelta', 'entryDelta', 'entryDelta', 'entryDone', 'busy'],
  );
  const deltas = events.filter((e): e is Extract<ConversationEvent, { type: 'entryDelta' }> => e.type === 'entryDelta');
  assert.ok(deltas.every((d) => d.id === reply.id));
  assert.equal(deltas.map((d) => d.text).join(''), 'Hello, world');
  const added = itemAt(events, 1);
  assert.ok(added.type === 'entryAdded' && added.entry.status === 'streaming' && added.entry.text === '');
  assert.deepEqual(events.filter((e) => e.type === 'busy'), [
    { type: 'busy', busy: true },
    { type: 'busy', busy: false },
  ]);
  assert.equal(conversation.busy, false);
});

test("stats use llama-server's timings when the fake backend sends them", async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(clock, [{ advance: 120 }, { text: 'a' }, { advance: 500 }, { text: 'b' }, { done: timings }]);
  const conversation = new Conversation({ now: clock.now });
  const reply = await conversation.send('q', backend);
  assert.deepEqual(reply.stats, { tokens: 42, tokensPerSecond: 18.3, timeToFirstTokenMs: 120 });
});

test('stats are measured when the fake backend sends no timings', async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(clock, [{ advance: 200 }, { text: 'a' }, { advance: 500 }, { text: 'b' }, { advance: 500 }, { text: 'c' }]);
  const conversation = new Conversation({ now: clock.now });
  const events = record(conversation);
  const reply = await conversation.send('q', backend);
  // Three chunks, two of them after the first token, over one second.
  assert.deepEqual(reply.stats, { tokens: 3, tokensPerSecond: 2, timeToFirstTokenMs: 200 });
  const done = events.find((e) => e.type === 'entryDone');
  assert.deepEqual(done, { type: 'entryDone', id: reply.id, status: 'complete', stats: reply.stats, error: undefined });
});

test("stop() mid-stream on a fake backend gives status 'stopped' and keeps the partial text", async () => {
  const clock = new FakeClock();
  let release!: () => void;
  const never = new Promise<void>((resolve) => (release = resolve));
  const backend = new ScriptedFakeBackend(clock, [{ text: 'partial ' }, { text: 'answer' }, { waitFor: never }, { text: 'never shown' }]);
  const conversation = new Conversation({ now: clock.now });
  const events = record(conversation);

  const pending = conversation.send('long question', backend);
  while (events.filter((e) => e.type === 'entryDelta').length < 2) await new Promise((r) => setImmediate(r));
  assert.equal(conversation.busy, true);
  conversation.stop();
  const reply = await pending;
  release();

  assert.equal(reply.status, 'stopped');
  assert.equal(reply.text, 'partial answer');
  assert.ok(reply.stats, 'a stopped reply still has stats');
  assert.equal(reply.error, undefined);
  assert.equal(conversation.busy, false);
  const done = events.find((e) => e.type === 'entryDone');
  assert.ok(done && done.type === 'entryDone' && done.status === 'stopped');
  assert.equal(events.at(-1)?.type, 'busy');
});

test("a fake backend's error gives status 'error' and the user's message is kept", async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(clock, [{ text: 'half' }, { fail: 'connection reset' }]);
  const conversation = new Conversation({ now: clock.now });
  const events = record(conversation);

  const reply = await conversation.send('my important question', backend);

  assert.equal(reply.status, 'error');
  assert.equal(reply.error, 'connection reset');
  const question = itemAt(conversation.entries, 0);
  assert.equal(question.role, 'user');
  assert.equal(question.text, 'my important question');
  assert.equal(question.status, 'complete');
  assert.deepEqual(events.find((e) => e.type === 'entryDone'), {
    type: 'entryDone',
    id: reply.id,
    status: 'error',
    stats: undefined,
    error: 'connection reset',
  });
  assert.equal(conversation.busy, false);
});

test('history sent to the fake backend excludes failed replies and starts with the system prompt', async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(
    clock,
    [{ text: 'four' }],
    [{ text: 'partial garbage' }, { fail: 'server went away' }],
    [{ text: 'ok' }],
  );
  const conversation = new Conversation({ now: clock.now, systemPrompt: 'Be brief.', temperature: 0.2 });

  await conversation.send('2+2?', backend);
  await conversation.send('and 3+3?', backend);
  await conversation.send('again: 3+3?', backend);

  assert.deepEqual(backend.requests[0], {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: '2+2?' },
    ],
    temperature: 0.2,
  });
  const third = itemAt(backend.requests, 2).messages;
  assert.deepEqual(third[0], { role: 'system', content: 'Be brief.' });
  assert.deepEqual(third.filter((m) => m.role === 'assistant').map((m) => m.content), ['four']);
  // The turn the failed reply left unanswered is merged into the next: templates reject user, user.
  assert.deepEqual(third.filter((m) => m.role === 'user').map((m) => m.content), ['2+2?', 'and 3+3?\n\nagain: 3+3?']);
  assert.ok(!third.some((m) => m.content.includes('partial garbage')));
  // The failed reply stays visible in the transcript even though the model never sees it.
  assert.deepEqual(
    conversation.entries.map((e) => e.status),
    ['complete', 'complete', 'complete', 'error', 'complete', 'complete'],
  );
});

test('a system prompt given as a function (the headroom.systemPrompt setting) is read for each request; empty sends none', async () => {
  const clock = new FakeClock();
  const backend = new ScriptedFakeBackend(clock, [{ text: 'one' }], [{ text: 'two' }]);
  let setting = 'Answer in French.';
  const conversation = new Conversation({ now: clock.now, systemPrompt: () => setting });

  await conversation.send('hello', backend);
  setting = '';
  await conversation.send('again', backend);

  assert.deepEqual(itemAt(backend.requests, 0).messages[0], { role: 'system', content: 'Answer in French.' });
  assert.deepEqual(itemAt(backend.requests, 1).messages.map((m) => m.role), ['user', 'assistant', 'user']);
});

test('a second send while a fake backend is still streaming is refused and adds nothing', async () => {
  const clock = new FakeClock();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const backend = new ScriptedFakeBackend(clock, [{ text: 'first' }, { waitFor: gate }, { text: ' done' }], [{ text: 'second' }]);
  const conversation = new Conversation({ now: clock.now });

  const first = conversation.send('one', backend);
  assert.equal(conversation.busy, true);
  await assert.rejects(conversation.send('two', backend), /still streaming/);
  assert.equal(conversation.entries.length, 2);
  assert.equal(backend.requests.length, 1);

  release();
  const reply = await first;
  assert.equal(reply.text, 'first done');
  assert.equal(reply.status, 'complete');
});

test('addUnsent keeps the text as a user entry followed by an error reply', () => {
  const conversation = new Conversation();
  const events = record(conversation);
  conversation.addUnsent('hello?', 'The model is not running.');
  assert.deepEqual(
    conversation.entries.map((e) => [e.role, e.text, e.status, e.error]),
    [
      ['user', 'hello?', 'complete', undefined],
      ['assistant', '', 'error', 'The model is not running.'],
    ],
  );
  assert.deepEqual(events.map((e) => e.type), ['entryAdded', 'entryAdded']);
  const reply = itemAt(events, 1);
  assert.ok(reply.type === 'entryAdded' && reply.entry.status === 'error' && reply.entry.error === 'The model is not running.');
  assert.equal(conversation.busy, false);
});

test('clear() empties the transcript', async () => {
  const clock = new FakeClock();
  const conversation = new Conversation({ now: clock.now });
  await conversation.send('q', new ScriptedFakeBackend(clock, [{ text: 'a' }]));
  conversation.clear();
  assert.equal(conversation.entries.length, 0);
});

test('regenerate replaces the last reply; editAndResend drops the edited message and what followed', async () => {
  let n = 0;
  const seen: string[][] = [];
  const backend = {
    async *stream(request: { messages: { content: string }[] }) {
      seen.push(request.messages.map((m) => m.content));
      yield { kind: 'text' as const, text: `reply ${++n}` };
    },
  };
  const conversation = new Conversation();
  const events: string[] = [];
  conversation.onEvent((e) => events.push(e.type));
  await conversation.send('q1', backend);
  await conversation.send('q2', backend);
  await conversation.regenerate(backend);
  assert.deepEqual(conversation.entries.map((e) => e.text), ['q1', 'reply 1', 'q2', 'reply 3']);
  assert.ok(events.includes('cleared'));
  const q1 = itemAt(conversation.entries, 0).id;
  await conversation.editAndResend(q1, 'q1 edited', backend);
  assert.deepEqual(conversation.entries.map((e) => e.text), ['q1 edited', 'reply 4']);
  assert.deepEqual(seen[3], ['q1 edited']);
  await assert.rejects(conversation.editAndResend('missing', 'x', backend), /no longer/);
});

test('attachments go to the model in fences before the question; prepareRequest can trim', async () => {
  let sent: string[] = [];
  const backend = {
    async *stream(request: { messages: { content: string }[] }) {
      sent = request.messages.map((m) => m.content);
      yield { kind: 'text' as const, text: 'ok' };
    },
  };
  const conversation = new Conversation();
  await conversation.send('old', backend);
  conversation.prepareRequest = async (messages) => messages.slice(-1);
  await conversation.send('explain', backend, [{ kind: 'selection', label: 'a.ts:1-1', text: 'const a = "```";', tokens: 5 }]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0], 'a.ts:1-1:\n````\nconst a = "```";\n````\n\nexplain');
  assert.equal(conversation.entries[2]?.attachments?.[0]?.tokens, 5);
});
