// Endpoints end to end, run as a user runs them: a real `headroom serve` stands in for "the user's own
// llama-server" (described through /v1/models and /props, chatted with, /tokenize counts), scripted
// Ollama / OpenAI-compatible servers over real HTTP(S), and `headroom chat --endpoint` / `headroom endpoints`
// as processes. Needs the bundles (npm test builds them first).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Conversation } from '../../src/extension/chat/conversation';
import { describeEndpoint } from '../../src/extension/endpoints/describeEndpoint';
import { EndpointBackend, endpointTokenCounter } from '../../src/extension/endpoints/endpointChat';
import { CLI, runCli } from '../fixtures/cliProcess';
import { closedPort, selfSignedCert, startForeignServer, type ForeignServer } from '../fixtures/foreignServer';
import { requireTool } from '../fixtures/requireTool';
import { tempDir, waitFor, withTinyModel } from './realServer';

interface Served {
  baseUrl: string;
  apiKey: string;
  pid: number;
}

const needsCli = requireTool('the CLI bundle', existsSync(CLI), `${CLI} is not built (npm run build)`);

describe('the user\'s own llama-server (a headroom serve) as an endpoint', { skip: needsCli }, () => {
  const fx = withTinyModel('endpoint-serve');
  let child: ChildProcess | undefined;
  let served: Served;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    env = { ...process.env, HEADROOM_CACHE_DIR: join(fx.dir, 'cache'), HEADROOM_VERBOSE: '' };
    child = spawn(process.execPath, [CLI, 'serve', '--model', fx.model, '--llama-server', fx.binary, '--ctx', '1024'], { env });
    const printed: Served[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => printed.push(JSON.parse(line) as Served));
    served = await waitFor('headroom serve to print its URL and key', () => printed[0], 120_000);
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const closed = new Promise((r) => child?.on('close', r));
      child.kill('SIGINT');
      await closed;
    }
  });

  test('described as llama-server: its model, the context size from /props, and it tokenizes', async () => {
    const info = await describeEndpoint({ baseUrl: served.baseUrl, apiKey: served.apiKey });
    assert.equal(info.kind, 'llama-server');
    assert.equal(info.tokenizes, true);
    assert.equal(info.models.length, 1);
    assert.equal(info.models[0]?.contextLength, 1024, 'n_ctx of a slot, as --ctx 1024 asked');
  });

  test('chat through the endpoint path streams a reply; the meter counts with the server\'s /tokenize, not an estimate', async () => {
    const endpoint = { baseUrl: served.baseUrl, apiKey: served.apiKey };
    const info = await describeEndpoint(endpoint);
    const conversation = new Conversation();
    try {
      const backend = new EndpointBackend(endpoint, info.models[0]?.id ?? '');
      const entry = await conversation.send('Hello', { stream: (req, signal) => backend.stream({ ...req, maxTokens: 8, seed: 1 }, signal) });
      assert.equal(entry.status, 'complete', entry.error);
      assert.ok(entry.text.length > 0);
    } finally {
      conversation.dispose();
    }
    const counter = endpointTokenCounter(endpoint, info);
    assert.notEqual(counter.estimated, true);
    const direct = await fetch(`${served.baseUrl}/tokenize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${served.apiKey}` },
      body: JSON.stringify({ content: 'The quick brown fox', add_special: false }),
    });
    const tokens = ((await direct.json()) as { tokens: unknown[] }).tokens.length;
    assert.equal(await counter.countText('The quick brown fox'), tokens);
  });

  test('headroom chat --endpoint URL --api-key-env VAR: the reply on stdout, the key never in argv', async () => {
    const run = await runCli(['chat', '--endpoint', `${served.baseUrl}/v1/`, '--api-key-env', 'MY_LLAMA_KEY', '--max-tokens', '8'], { ...env, MY_LLAMA_KEY: served.apiKey }, 'Hello\n');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`Chatting with llama-server at ${served.baseUrl}, model \\S+, context 1024\\.`));
    assert.match(run.stderr, /-- \d+ tokens · [\d.]+ tok\/s \(llama-server\)/);
    assert.ok(run.stdout.trim().length > 0, 'a reply');
  });

  test('without the key: exit 1 and "needs an API key"; headroom endpoints finds it at its port and says the same', async () => {
    const run = await runCli(['chat', '--endpoint', served.baseUrl], env, 'Hello\n');
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`headroom chat: ${served.baseUrl} needs an API key \\(HTTP 401\\)\\.`));
    const port = new URL(served.baseUrl).port;
    const nobody = await closedPort();
    const listed = await runCli(['endpoints', '--json'], { ...env, HEADROOM_DISCOVER_PORTS: `llama-server=${port},ollama=${nobody}` });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [
      { baseUrl: served.baseUrl, usual: 'llama-server', status: 'failed', error: 'EndpointAuthError', message: `${served.baseUrl} needs an API key (HTTP 401). Give the right key: "Headroom: Use a Running Server..." asks for it, the CLI reads it from the variable named by --api-key-env.` },
      { baseUrl: `http://127.0.0.1:${nobody}`, usual: 'ollama', status: 'absent' },
    ]);
  });
});

describe('headroom chat --endpoint / headroom endpoints against scripted servers', { skip: needsCli }, () => {
  const dir = tempDir('endpoint-cli');
  const servers: ForeignServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    dir.dispose();
  });
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, HEADROOM_CACHE_DIR: join(dir.path, 'cache'), HEADROOM_VERBOSE: '' });

  test('Ollama: endpoints lists its models with context and quant; chat picks --model and streams the reply', async () => {
    const s = await startForeignServer({ flavor: 'ollama', reply: 'Hello from Ollama.' });
    servers.push(s);
    const listed = await runCli(['endpoints'], { ...env(), HEADROOM_DISCOVER_PORTS: `ollama=${s.port}` });
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, `Ollama's usual place, ${s.baseUrl}: Ollama, 2 model(s)\n    llama3.2:3b · context 131072 · Q4_K_M\n    qwen2.5-coder:7b · context 32768 · Q8_0\n`);
    const run = await runCli(['chat', '--endpoint', s.baseUrl, '--model', 'qwen2.5-coder:7b'], env(), 'Hi\n');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'Hello from Ollama.\n');
    assert.deepEqual(s.chatModels, ['qwen2.5-coder:7b']);
  });

  test('a model the server lacks: the reply fails with "has no model" and the chat goes on (exit 0)', async () => {
    const s = await startForeignServer({ flavor: 'ollama' });
    servers.push(s);
    const run = await runCli(['chat', '--endpoint', s.baseUrl, '--model', 'nope:1b'], env(), 'Hi\n');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`error: the reply failed: ${s.baseUrl} has no model "nope:1b" \\(HTTP 404\\)\\.`));
  });

  test('refused connection, 500, an unset --api-key-env: one sentence each, exit 1 (2 for the command line)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const refused = await runCli(['chat', '--endpoint', url], env(), '');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`headroom chat: Nothing is listening at ${url} \\(connection refused\\)\\. Is the server running, on that port\\?`));
    const s = await startForeignServer({ flavor: 'openai', misbehave: 'error500' });
    servers.push(s);
    const failing = await runCli(['endpoints', '--endpoint', s.baseUrl], { ...env(), HEADROOM_DISCOVER_PORTS: `ollama=${await closedPort()}` });
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, new RegExp(`${s.baseUrl} failed at its end \\(HTTP 500\\): internal failure`));
    const unset = await runCli(['chat', '--endpoint', s.baseUrl, '--api-key-env', 'HEADROOM_TEST_UNSET_KEY'], env(), '');
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /--api-key-env names HEADROOM_TEST_UNSET_KEY, which is not set\./);
  });

  const openssl = requireTool('openssl', existsSync('/usr/bin/openssl'), 'apt-get install openssl');
  test('https: self-signed is refused; trusted through NODE_EXTRA_CA_CERTS it works; a certificate for another host is "for another host name"', { skip: openssl }, async () => {
    const good = selfSignedCert(dir.path, 'good', ['127.0.0.1']);
    const s = await startForeignServer({ flavor: 'openai', tls: good, reply: 'Over TLS.' });
    const other = await startForeignServer({ flavor: 'openai', tls: selfSignedCert(dir.path, 'other', ['example.invalid']) });
    servers.push(s, other);
    const untrusted = await runCli(['chat', '--endpoint', s.baseUrl], env(), 'Hi\n');
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, new RegExp(`headroom chat: ${s.baseUrl}: its TLS certificate is self-signed, so it cannot be trusted\\. Trust its CA with the NODE_EXTRA_CA_CERTS`));
    const trusted = await runCli(['chat', '--endpoint', s.baseUrl], { ...env(), NODE_EXTRA_CA_CERTS: good.certPath }, 'Hi\n');
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal(trusted.stdout, 'Over TLS.\n');
    const otherCa = join(dir.path, 'other.crt');
    const wrongHost = await runCli(['chat', '--endpoint', other.baseUrl], { ...env(), NODE_EXTRA_CA_CERTS: otherCa }, 'Hi\n');
    assert.equal(wrongHost.code, 1);
    assert.match(wrongHost.stderr, new RegExp(`${other.baseUrl}: its TLS certificate is for another host name\\. Use the host name the certificate was issued for\\.`));
  });
});
