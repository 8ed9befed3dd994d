// A reply cut off from outside ends 'interrupted' with a message, its text kept: the OpenAI client against a
// real HTTP server standing in for llama-server (fake: it streams a few SSE chunks, then goes silent).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Emitter } from '../../src/extension/common/emitter';
import { Conversation } from '../../src/extension/chat/conversation';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import type { ReplyWatch } from '../../src/extension/chat/replyWatch';

const chunk = (content: string): string => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`;
const DONE = `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

/** A fake llama-server: each request gets `play(res)`; the responses it holds open end with close(). */
async function fakeServer(play: (res: ServerResponse) => void): Promise<{ baseUrl: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'text/event-stream');
    res.flushHeaders();
    play(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A fake watch: the test declares the stall; it counts the chunks reported. */
class FakeWatch implements ReplyWatch {
  readonly stallTimeoutMs: number;
  chunks = 0;
  private readonly emitter = new Emitter<string>();
  readonly onStall = this.emitter.event;

  constructor(stallTimeoutMs: number) {
    this.stallTimeoutMs = stallTimeoutMs;
  }

  activity(): void {
    this.chunks++;
  }

  stall(message: string): void {
    this.emitter.fire(message);
  }
}

test('fake server goes silent after two tokens: the idle timeout ends the reply interrupted, its text kept', async () => {
  const fake = await fakeServer((res) => res.write(chunk('Once ') + chunk('upon')));
  const conversation = new Conversation();
  try {
    const reply = await conversation.send('Tell me a story.', new OpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'k', idleTimeoutMs: 300 }));
    assert.equal(reply.status, 'interrupted');
    assert.equal(reply.text, 'Once upon');
    assert.equal(reply.error, 'llama-server sent nothing for 0.3 s in the middle of the reply; gave up waiting.');
    assert.equal(conversation.history().at(-1)?.content, 'Once upon', 'the text so far stays in the conversation');
  } finally {
    conversation.dispose();
    await fake.close();
  }
});

test('fake server silent before the first token (reading the prompt): the idle timeout does not cut it', async () => {
  // The first token comes only after three idle timeouts' worth of silence.
  const fake = await fakeServer((res) => void setTimeout(() => res.end(chunk('Hi') + DONE), 600));
  const conversation = new Conversation();
  try {
    const reply = await conversation.send('Hello', new OpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'k', idleTimeoutMs: 200 }));
    assert.equal(reply.status, 'complete');
    assert.equal(reply.text, 'Hi');
  } finally {
    conversation.dispose();
    await fake.close();
  }
});

test('fake watch declares a stall mid-reply: the reply ends interrupted with its message; every chunk was reported', async () => {
  const watch = new FakeWatch(60_000);
  const fake = await fakeServer((res) => res.write(chunk('Once ') + chunk('upon')));
  const conversation = new Conversation();
  conversation.onEvent((e) => {
    if (e.type === 'entryDelta' && e.text === 'upon') watch.stall('llama-server stopped responding for 60 s; restarted it.');
  });
  try {
    const reply = await conversation.send('Tell me a story.', new OpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'k', watch }));
    assert.equal(reply.status, 'interrupted');
    assert.equal(reply.error, 'llama-server stopped responding for 60 s; restarted it.');
    assert.equal(reply.text, 'Once upon');
    assert.ok(watch.chunks >= 1);
  } finally {
    conversation.dispose();
    await fake.close();
  }
});

test('fake watch declares a stall before any answer: interrupted; a stop by the user is still "stopped"', async () => {
  const watch = new FakeWatch(60_000);
  let answered = (): void => undefined;
  const asked = new Promise<void>((resolve) => (answered = resolve));
  const fake = await fakeServer(() => answered());
  const conversation = new Conversation();
  try {
    const replying = conversation.send('Hello', new OpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'k', watch }));
    await asked;
    watch.stall('llama-server stopped responding for 60 s; restarted it.');
    const reply = await replying;
    assert.equal(reply.status, 'interrupted');
    assert.equal(reply.text, '');

    const stopping = conversation.send('Hello again', new OpenAiClient({ baseUrl: fake.baseUrl, apiKey: 'k', watch }));
    conversation.stop();
    assert.equal((await stopping).status, 'stopped');
  } finally {
    conversation.dispose();
    await fake.close();
  }
});
