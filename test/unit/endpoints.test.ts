// Servers Headroom does not start, over real HTTP(S) on 127.0.0.1: scripted stand-ins speaking Ollama's,
// LM Studio's and OpenAI's documented shapes (test/fixtures/foreignServer.ts), well and badly behaved.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Conversation } from '../../src/extension/chat/conversation';
import { describeEndpoint, modelFor } from '../../src/extension/endpoints/describeEndpoint';
import { discoverEndpoints } from '../../src/extension/endpoints/discover';
import { normalizeBaseUrl, InvalidEndpointUrlError } from '../../src/extension/endpoints/endpoint';
import { EndpointBackend, endpointTokenCounter } from '../../src/extension/endpoints/endpointChat';
import {
  EndpointAuthError,
  EndpointBadAnswerError,
  EndpointRefusedError,
  EndpointServerError,
  EndpointTimeoutError,
  EndpointTlsError,
} from '../../src/extension/endpoints/endpointErrors';
import { closedPort, DEFAULT_MODELS, selfSignedCert, startForeignServer, type ForeignServer, type ForeignServerOptions } from '../fixtures/foreignServer';
import { itemAt } from '../fixtures/itemAt';
import { requireTool } from '../fixtures/requireTool';
import { existsSync } from 'node:fs';

const servers: ForeignServer[] = [];
async function serve(o: ForeignServerOptions): Promise<ForeignServer> {
  const s = await startForeignServer(o);
  servers.push(s);
  return s;
}
after(() => Promise.all(servers.map((s) => s.close())));

async function reply(backend: EndpointBackend): Promise<{ text: string; status: string; error?: string }> {
  const conversation = new Conversation();
  try {
    const entry = await conversation.send('Hello', backend);
    return { text: entry.text, status: entry.status, ...(entry.error !== undefined ? { error: entry.error } : {}) };
  } finally {
    conversation.dispose();
  }
}

describe('normalizeBaseUrl', () => {
  test('drops a trailing slash and /v1; keeps a path prefix; refuses what is not http(s)', () => {
    assert.equal(normalizeBaseUrl('http://127.0.0.1:11434/'), 'http://127.0.0.1:11434');
    assert.equal(normalizeBaseUrl(' https://host.example/v1/ '), 'https://host.example');
    assert.equal(normalizeBaseUrl('https://host.example/proxy/v1'), 'https://host.example/proxy');
    assert.throws(() => normalizeBaseUrl('ftp://host'), InvalidEndpointUrlError);
    assert.throws(() => normalizeBaseUrl('localhost 11434'), InvalidEndpointUrlError);
  });
});

describe('what a server says about itself', () => {
  test('Ollama: kind from /api/tags, context length from /api/show model_info["llama.context_length"], quant from details', async () => {
    const s = await serve({ flavor: 'ollama' });
    const info = await describeEndpoint({ baseUrl: s.baseUrl });
    assert.equal(info.kind, 'ollama');
    assert.equal(info.tokenizes, false);
    assert.deepEqual(info.models, DEFAULT_MODELS.map((m) => ({ id: m.id, contextLength: m.contextLength, quant: m.quant })));
  });

  test('LM Studio: kind, context and quant from /api/v0/models; its embedding model is left out', async () => {
    const s = await serve({ flavor: 'lmstudio' });
    const info = await describeEndpoint({ baseUrl: s.baseUrl });
    assert.equal(info.kind, 'lmstudio');
    assert.deepEqual(info.models, DEFAULT_MODELS.map((m) => ({ id: m.id, contextLength: m.contextLength, quant: m.quant })));
  });

  test('any other OpenAI-compatible server: the ids of /v1/models, nothing invented', async () => {
    const s = await serve({ flavor: 'openai' });
    const info = await describeEndpoint({ baseUrl: s.baseUrl });
    assert.equal(info.kind, 'openai-compatible');
    assert.deepEqual(info.models, DEFAULT_MODELS.map((m) => ({ id: m.id })));
    assert.deepEqual(modelFor({ baseUrl: s.baseUrl }, info), { id: 'llama3.2:3b' }, 'the first listed when none is chosen');
    assert.deepEqual(modelFor({ baseUrl: s.baseUrl, model: 'qwen2.5-coder:7b' }, info), { id: 'qwen2.5-coder:7b' });
  });

  test('the key is sent as Bearer; without it, 401 is "needs an API key", with a wrong one "refused the API key"', async () => {
    const s = await serve({ flavor: 'ollama', key: 'sekret' });
    assert.equal((await describeEndpoint({ baseUrl: s.baseUrl, apiKey: 'sekret' })).kind, 'ollama');
    await assert.rejects(describeEndpoint({ baseUrl: s.baseUrl }), (e: unknown) => e instanceof EndpointAuthError && e.message === `${s.baseUrl} needs an API key (HTTP 401).`);
    await assert.rejects(describeEndpoint({ baseUrl: s.baseUrl, apiKey: 'wrong' }), (e: unknown) => e instanceof EndpointAuthError && e.message === `${s.baseUrl} refused the API key (HTTP 401).`);
  });
});

describe('misbehaving servers are reported, not crashed on', () => {
  test('500: EndpointServerError with the server\'s own message', async () => {
    const s = await serve({ flavor: 'ollama', misbehave: 'error500' });
    await assert.rejects(describeEndpoint({ baseUrl: s.baseUrl }), (e: unknown) => e instanceof EndpointServerError && e.status === 500 && e.message === `${s.baseUrl} failed at its end (HTTP 500): internal failure`);
  });

  test('HTML instead of JSON, and JSON of another shape: EndpointBadAnswerError naming the path', async () => {
    const html = await serve({ flavor: 'openai', misbehave: 'notJson' });
    await assert.rejects(describeEndpoint({ baseUrl: html.baseUrl }), (e: unknown) => e instanceof EndpointBadAnswerError && e.path === '/v1/models' && /\(not JSON\)/.test(e.message));
    const shape = await serve({ flavor: 'openai', misbehave: 'wrongShape' });
    await assert.rejects(describeEndpoint({ baseUrl: shape.baseUrl }), (e: unknown) => e instanceof EndpointBadAnswerError && /no "data" list of models/.test(e.message));
  });

  test('slower than the timeout: EndpointTimeoutError saying how long it waited', async () => {
    const s = await serve({ flavor: 'ollama', misbehave: 'slow', delayMs: 3_000 });
    await assert.rejects(describeEndpoint({ baseUrl: s.baseUrl }, { timeoutMs: 300 }), (e: unknown) => e instanceof EndpointTimeoutError && e.message === `${s.baseUrl} did not answer within 0.3 s.`);
  });

  test('nothing listening: EndpointRefusedError', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(describeEndpoint({ baseUrl: url }), (e: unknown) => e instanceof EndpointRefusedError && e.message === `Nothing is listening at ${url} (connection refused).`);
  });

  const cert = requireTool('openssl', existsSync('/usr/bin/openssl'), 'apt-get install openssl');
  test('https with a self-signed certificate: EndpointTlsError "self-signed", with what to do', { skip: cert }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'headroom-tls-'));
    try {
      const s = await serve({ flavor: 'openai', tls: selfSignedCert(dir, 'self', ['127.0.0.1']) });
      await assert.rejects(describeEndpoint({ baseUrl: s.baseUrl }), (e: unknown) => e instanceof EndpointTlsError && e.problem === 'self-signed' && /NODE_EXTRA_CA_CERTS/.test(e.hint ?? ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('discovery at the usual places (ports injected)', () => {
  test('one request to a port nobody listens on; servers found are described; a failing one is reported with its error', async () => {
    const ollama = await serve({ flavor: 'ollama' });
    const broken = await serve({ flavor: 'lmstudio', misbehave: 'error500' });
    const nobody = await closedPort();
    const found = await discoverEndpoints({
      places: [
        { kind: 'ollama', port: ollama.port },
        { kind: 'lmstudio', port: broken.port },
        { kind: 'llama-server', port: nobody },
      ],
    });
    const [a, b, c] = [itemAt(found, 0), itemAt(found, 1), itemAt(found, 2)];
    assert.equal(a.status === 'found' && a.info.kind, 'ollama');
    assert.equal(b.status === 'failed' && b.error instanceof EndpointServerError, true);
    assert.deepEqual(c, { status: 'absent', baseUrl: `http://127.0.0.1:${nobody}`, usual: 'llama-server' });
    assert.deepEqual(broken.requests, ['GET /v1/models'], 'a failing server is asked once');
  });

  test('a listener slower than the discovery timeout is "failed" (timeout), not absent, and discovery does not wait for it', async () => {
    const slow = await serve({ flavor: 'ollama', misbehave: 'slow', delayMs: 5_000 });
    const [d] = await discoverEndpoints({ places: [{ kind: 'ollama', port: slow.port }], timeoutMs: 200 });
    assert.equal(d?.status === 'failed' && d.error instanceof EndpointTimeoutError, true);
  });
});

describe('chat through an endpoint', () => {
  test('streams the reply with the chosen model; a model the server lacks is "has no model" (404)', async () => {
    const s = await serve({ flavor: 'ollama', reply: 'Hi there, friend.' });
    const ok = await reply(new EndpointBackend({ baseUrl: s.baseUrl }, 'qwen2.5-coder:7b'));
    assert.deepEqual(ok, { text: 'Hi there, friend.', status: 'complete' });
    const missing = await reply(new EndpointBackend({ baseUrl: s.baseUrl }, 'nope:1b'));
    assert.deepEqual(missing, { text: '', status: 'error', error: `${s.baseUrl} has no model "nope:1b" (HTTP 404).` });
    assert.deepEqual(s.chatModels, ['qwen2.5-coder:7b', 'nope:1b']);
  });

  test('a wrong key, a 500 and a closed port each end the reply with their one sentence', async () => {
    const keyed = await serve({ flavor: 'lmstudio', key: 'k1' });
    assert.equal((await reply(new EndpointBackend({ baseUrl: keyed.baseUrl, apiKey: 'k2' }, 'llama3.2:3b'))).error, `${keyed.baseUrl} refused the API key (HTTP 401).`);
    const failing = await serve({ flavor: 'openai', misbehave: 'error500' });
    assert.equal((await reply(new EndpointBackend({ baseUrl: failing.baseUrl }, 'llama3.2:3b'))).error, `${failing.baseUrl} failed at its end (HTTP 500): internal failure`);
    const url = `http://127.0.0.1:${await closedPort()}`;
    assert.equal((await reply(new EndpointBackend({ baseUrl: url }, 'm'))).error, `Nothing is listening at ${url} (connection refused).`);
  });

  test('a server without /tokenize gets an estimate that says it is one', async () => {
    const s = await serve({ flavor: 'ollama' });
    const info = await describeEndpoint({ baseUrl: s.baseUrl });
    const counter = endpointTokenCounter({ baseUrl: s.baseUrl }, info);
    assert.equal(counter.estimated, true);
    assert.equal(await counter.countText('x'.repeat(400)), 100);
    assert.ok(!s.requests.some((r) => r.includes('tokenize')), 'nothing asked of the server');
  });
});
