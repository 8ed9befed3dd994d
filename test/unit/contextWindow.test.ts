import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitToContext, replyReserve, splitTurns } from '../../src/extension/chat/contextWindow';
import { ServerTokenCounter, type TokenCounter } from '../../src/extension/chat/tokenCounter';
import type { ChatMessage } from '../../src/extension/chat/types';

/** One token per character plus 4 per message, like a template would add. */
const counter: TokenCounter = {
  countText: async (text) => text.length,
  countMessages: async (messages) => messages.reduce((n, m) => n + m.content.length + 4, 0),
};

const msgs = (...pairs: string[]): ChatMessage[] => pairs.map((content, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content }));

test('a conversation that fits is sent whole', async () => {
  const fit = await fitToContext(msgs('a', 'b', 'c'), 1000, counter);
  assert.equal(fit.omittedTurns, 0);
  assert.equal(fit.messages.length, 3);
  assert.equal(fit.used, 15);
});

test('the oldest turns are left out until it fits; the system prompt and last turn stay', async () => {
  const messages: ChatMessage[] = [{ role: 'system', content: 'sys' }, ...msgs('x'.repeat(40), 'y'.repeat(40), 'z'.repeat(40), 'w'.repeat(40), 'last')];
  const fit = await fitToContext(messages, 120, counter); // budget 90
  assert.equal(fit.omittedTurns, 2);
  assert.deepEqual(fit.messages.map((m) => m.content[0]), ['s', 'l']);
  assert.ok(fit.used <= 120 - replyReserve(120));
});

test('splitTurns starts a turn at each user message', () => {
  assert.deepEqual(splitTurns(msgs('u1', 'a1', 'u2')).map((t) => t.length), [2, 1]);
});

test('ServerTokenCounter sends the API key as Bearer and counts through the chat template', async () => {
  const calls: { url: string; auth: string | null; body: unknown }[] = [];
  const fakeFetch = (async (url: string | URL | Request, init?: RequestInit) => {
    assert.ok(typeof url === 'string', 'the counter fetches a URL string');
    const text = init?.body;
    assert.ok(typeof text === 'string', 'the counter posts JSON text');
    const body: unknown = JSON.parse(text);
    calls.push({ url, auth: new Headers(init?.headers).get('authorization'), body });
    const json = url.endsWith('/apply-template') ? { prompt: '<|im_start|>user\nhi<|im_end|>' } : { tokens: [1, 2, 3, 4, 5] };
    return new Response(JSON.stringify(json), { status: 200 });
  }) as typeof fetch;
  const c = new ServerTokenCounter({ baseUrl: 'http://127.0.0.1:1234', apiKey: 'k3y', fetch: fakeFetch });
  assert.equal(await c.countMessages([{ role: 'user', content: 'hi' }]), 5);
  assert.equal(await c.countText('hi'), 5);
  assert.deepEqual(calls.map((x) => [x.url, x.auth]), [
    ['http://127.0.0.1:1234/apply-template', 'Bearer k3y'],
    ['http://127.0.0.1:1234/tokenize', 'Bearer k3y'],
    ['http://127.0.0.1:1234/tokenize', 'Bearer k3y'],
  ]);
  const failing = new ServerTokenCounter({ baseUrl: 'http://x', apiKey: 'k', fetch: async () => new Response('no', { status: 401 }) });
  await assert.rejects(failing.countText('x'), /401/);
});
