import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { CancelledError } from '../../src/extension/common/errors';
import { Conversation } from '../../src/extension/chat/conversation';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import type { ChatBackend } from '../../src/extension/chat/types';
import { isPortFree } from '../../src/extension/llama/ports';
import type { ServerState, ServerStateKind } from '../../src/extension/llama/serverState';
import type { ReadyServer, Supervisor } from '../../src/extension/llama/supervisor';
import { itemAt } from '../fixtures/itemAt';
import { isAlive, llamaServersWith, RecordingLauncher, supervisorFor, waitFor, withTinyModel } from './realServer';

/** The next state of `kind` the supervisor announces (an event, not a poll). */
function next<K extends ServerStateKind>(supervisor: Supervisor, kind: K): Promise<Extract<ServerState, { kind: K }>> {
  return new Promise((resolve) => {
    const sub = supervisor.onDidChangeState((s) => {
      if (s.kind !== kind) return;
      sub.dispose();
      resolve(s as Extract<ServerState, { kind: K }>);
    });
  });
}

/** A chat completion (not streamed) with this URL and key: the reply's text. */
async function complete(baseUrl: string, apiKey: string): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8, seed: 1 }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return itemAt(body.choices, 0).message.content;
}

/** A chat backend for this server, as the CLI and the chat view make one for each message. */
function backendFor(server: ReadyServer, maxTokens: number): ChatBackend {
  const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, watch: server.watch });
  return { stream: (request, signal) => client.stream({ ...request, maxTokens, seed: 7 }, signal) };
}

describe('supervisor with a real llama-server on a generated model', () => {
  const fx = withTinyModel('supervisor');

  test('start -> loading -> ready; a streamed reply arrives in pieces and equals the direct answer at temperature 0; stop frees everything', async () => {
    const launcher = new RecordingLauncher();
    const supervisor = supervisorFor(fx.binary, launcher);
    const states: ServerState['kind'][] = [];
    supervisor.onDidChangeState((s) => states.push(s.kind));
    const server = await supervisor.start({ modelPath: fx.model, contextSize: 1024, port: 0, extraArgs: [] });
    assert.equal(supervisor.state.kind, 'ready');
    assert.ok(states.indexOf('starting') < states.indexOf('ready'));
    assert.equal(server.contextSize, 1024);
    const port = Number(new URL(server.baseUrl).port);

    const request = { messages: [{ role: 'user' as const, content: 'Tell me a story.' }], temperature: 0, maxTokens: 24, seed: 7 };
    const arrivals: number[] = [];
    let streamed = '';
    let timings;
    for await (const delta of new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey }).stream(request)) {
      if (delta.kind === 'text') {
        streamed += delta.text;
        arrivals.push(performance.now());
      } else timings = delta.timings;
    }
    assert.ok(arrivals.length >= 5, `expected the reply in several pieces, got ${arrivals.length}`);
    assert.ok(itemAt(arrivals, -1) > itemAt(arrivals, 0), 'pieces arrived over time');
    assert.ok(timings && timings.predictedTokens > 0 && timings.predictedPerSecond > 0);

    const direct = await fetch(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
      body: JSON.stringify({ messages: request.messages, temperature: 0, max_tokens: 24, seed: 7 }),
    });
    const body = (await direct.json()) as { choices: { message: { content: string } }[] };
    assert.equal(streamed, itemAt(body.choices, 0).message.content);

    const pid = server.pid;
    await supervisor.stop();
    assert.equal(supervisor.state.kind, 'stopped');
    assert.equal(isAlive(pid), false, 'llama-server is gone');
    assert.equal(await isPortFree(port), true, 'its port is free again');
    assert.equal(launcher.started.length, 1);
  });

  test('security: 127.0.0.1 only, API key required, key not in argv, LLAMA_ARG_* from the environment ignored', async () => {
    const saved = { host: process.env.LLAMA_ARG_HOST, alias: process.env.LLAMA_ARG_ALIAS };
    process.env.LLAMA_ARG_HOST = '0.0.0.0';
    // --alias is a flag Headroom never passes, so only the environment could set it.
    process.env.LLAMA_ARG_ALIAS = 'hijacked';
    const supervisor = supervisorFor(fx.binary);
    try {
      const server = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
      assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      const models = await (await fetch(`${server.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${server.apiKey}` } })).text();
      assert.doesNotMatch(models, /hijacked/, 'LLAMA_ARG_ALIAS did not reach the server');
      const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8');
      assert.ok(!cmdline.includes(server.apiKey), 'the key is not in argv');
      const environ = readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0');
      const llamaArgs = environ.filter((e) => e.startsWith('LLAMA_ARG_')).map((e) => e.slice(0, e.indexOf('=')));
      assert.deepEqual(llamaArgs.sort(), ['LLAMA_ARG_CORS_CREDENTIALS', 'LLAMA_ARG_CORS_ORIGINS'], 'only the CORS variables Headroom sets');
      const port = new URL(server.baseUrl).port;
      const sockets = readFileSync('/proc/net/tcp', 'utf8');
      const hexPort = Number(port).toString(16).toUpperCase().padStart(4, '0');
      assert.match(sockets, new RegExp(`0100007F:${hexPort} 00000000:0000 0A`), 'listening on 127.0.0.1');
      assert.doesNotMatch(sockets, new RegExp(`00000000:${hexPort} 00000000:0000 0A`), 'not on 0.0.0.0');
      const noKey = await fetch(`${server.baseUrl}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      assert.equal(noKey.status, 401);
    } finally {
      await supervisor.stop();
      process.env.LLAMA_ARG_HOST = saved.host;
      process.env.LLAMA_ARG_ALIAS = saved.alias;
      if (saved.host === undefined) delete process.env.LLAMA_ARG_HOST;
      if (saved.alias === undefined) delete process.env.LLAMA_ARG_ALIAS;
    }
  });

  test('crash after ready (SIGKILL from outside) -> crashed with the stderr tail -> restarted by itself', async () => {
    const supervisor = supervisorFor(fx.binary);
    try {
      const first = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
      const seen: ServerState[] = [];
      supervisor.onDidChangeState((s) => seen.push(s));
      process.kill(first.pid, 'SIGKILL');
      const crashed = await waitFor('crashed', () => seen.find((s) => s.kind === 'crashed'));
      assert.ok(crashed.kind === 'crashed' && crashed.signal === 'SIGKILL' && crashed.retryInMs === 1000 && crashed.stderrTail.length > 0);
      await waitFor('ready again', () => supervisor.state.kind === 'ready', 60_000);
      const second = supervisor.server;
      assert.ok(second && second.pid !== first.pid && isAlive(second.pid));
    } finally {
      await supervisor.stop();
    }
  });

  test('a crash restart keeps the base URL and the key: after kill -9, the same URL and key answer /health and a chat completion', async () => {
    const supervisor = supervisorFor(fx.binary);
    try {
      const first = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
      const { baseUrl, apiKey } = first;
      const again = next(supervisor, 'ready');
      process.kill(first.pid, 'SIGKILL');
      const ready = await again;
      assert.notEqual(ready.pid, first.pid);
      assert.equal(ready.baseUrl, baseUrl, 'the same port');
      assert.equal(supervisor.server?.apiKey, apiKey, 'the same key');
      assert.equal((await fetch(`${baseUrl}/health`)).status, 200);
      assert.ok((await complete(baseUrl, apiKey)).length > 0, 'the old URL and key get a reply');
      const environ = readFileSync(`/proc/${ready.pid}/environ`, 'utf8').split('\0');
      assert.ok(environ.includes(`LLAMA_API_KEY=${apiKey}`), 'the key went through the environment');
      assert.ok(!readFileSync(`/proc/${ready.pid}/cmdline`, 'utf8').includes(apiKey), 'not through argv');
    } finally {
      await supervisor.stop();
    }
  });

  test('the old port taken while the server is down (by the test, as it crashes): a new port is announced, a client following the state gets replies', async () => {
    const supervisor = supervisorFor(fx.binary);
    const squatter = createServer();
    try {
      const first = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
      const port = Number(new URL(first.baseUrl).port);
      // Taken the moment the crash is announced; the restart waits for the policy's delay (1 s) first.
      const taken = new Promise<void>((resolve, reject) => {
        const sub = supervisor.onDidChangeState((s) => {
          if (s.kind !== 'crashed') return;
          sub.dispose();
          squatter.once('error', reject);
          squatter.listen(port, '127.0.0.1', resolve);
        });
      });
      const again = next(supervisor, 'ready');
      process.kill(first.pid, 'SIGKILL');
      await taken;
      const ready = await again;
      assert.notEqual(ready.baseUrl, first.baseUrl, 'announced on another port');
      const now = await supervisor.whenReady();
      assert.equal(now.baseUrl, ready.baseUrl);
      assert.equal(now.apiKey, first.apiKey, 'the same key');
      const conversation = new Conversation();
      try {
        const reply = await conversation.send('Hello', backendFor(now, 8));
        assert.equal(reply.status, 'complete', reply.error);
        assert.ok(reply.text.length > 0);
      } finally {
        conversation.dispose();
      }
    } finally {
      squatter.close();
      await supervisor.stop();
    }
  });

  test('a stalled llama-server (SIGSTOP during a reply): within the stall timeout the reply ends interrupted with the message, the server is restarted, the next message gets a reply', { timeout: 120_000 }, async () => {
    const supervisor = supervisorFor(fx.binary, undefined, undefined, { stallTimeoutMs: () => 2_000 });
    let stopped: number | undefined;
    const conversation = new Conversation({ temperature: 0.8 });
    try {
      const first = await supervisor.start({ modelPath: fx.model, contextSize: 2048, port: 0, extraArgs: [] });
      const crashed = next(supervisor, 'crashed');
      const again = next(supervisor, 'ready');
      conversation.onEvent((e) => {
        if (e.type !== 'entryDelta' || stopped !== undefined) return;
        stopped = first.pid;
        process.kill(first.pid, 'SIGSTOP');
      });
      const reply = await conversation.send('Tell me a long story.', backendFor(first, 1500));
      assert.ok(stopped !== undefined, 'stopped during the reply');
      assert.equal(reply.status, 'interrupted');
      assert.equal(reply.error, 'llama-server stopped responding for 2 s; restarted it.');
      assert.ok(reply.text.length > 0, 'the text so far is kept');
      const crash = await crashed;
      assert.equal(crash.stalled, true);
      assert.match(crash.reason, /^Stalled: llama-server stopped responding for 2 s/);
      const ready = await again;
      assert.notEqual(ready.pid, first.pid, 'a new llama-server');
      assert.equal(isAlive(first.pid), false, 'the stalled one is gone');
      const answer = await conversation.send('Hello', backendFor(await supervisor.whenReady(), 16));
      assert.equal(answer.status, 'complete', answer.error);
      assert.ok(answer.text.length > 0);
    } finally {
      conversation.dispose();
      if (stopped !== undefined && isAlive(stopped)) {
        process.kill(stopped, 'SIGCONT');
        process.kill(stopped, 'SIGKILL');
      }
      await supervisor.stop();
    }
  });

  test('two stop() calls share one promise; stop during loading leaves no process', async () => {
    const launcher = new RecordingLauncher();
    const supervisor = supervisorFor(fx.binary, launcher);
    const starting = supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
    await waitFor('a process', () => launcher.started.length > 0);
    const a = supervisor.stop();
    const b = supervisor.stop();
    assert.equal(a, b);
    await a;
    await assert.rejects(starting, CancelledError);
    assert.equal(supervisor.state.kind, 'stopped');
    for (const p of launcher.started) assert.equal(isAlive(p.pid), false);
    assert.deepEqual(llamaServersWith(fx.model), []);
  });
});
