// How a server Headroom did not start is shown (chat header, status bar, plan panel, context meter), and
// where discovery looks: pure functions, no server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placesFromEnv, USUAL_PLACES } from '../../src/extension/endpoints/discover';
import { EndpointAuthError } from '../../src/extension/endpoints/endpointErrors';
import { HeadroomError } from '../../src/extension/common/errors';
import { endpointServerView, endpointStatusBar, managedBy, modelLabel, type EndpointState } from '../../src/extension/present/endpointView';
import { isPlanPanelState } from '../../src/webview/protocol/plan';
import { isContextView } from '../../src/webview/protocol/chat';
import { formatMeter } from '../../src/webview/chat/format';
import { ContextTracker } from '../../src/extension/chat/contextTracker';
import { EstimatedTokenCounter } from '../../src/extension/chat/tokenCounter';

const ready: EndpointState = {
  kind: 'ready',
  baseUrl: 'http://127.0.0.1:11434',
  info: { baseUrl: 'http://127.0.0.1:11434', kind: 'ollama', tokenizes: false, models: [{ id: 'llama3.2:3b', contextLength: 131072, quant: 'Q4_K_M' }] },
  model: { id: 'llama3.2:3b', contextLength: 131072, quant: 'Q4_K_M' },
};

test('a ready endpoint: "managed by <kind> at <url>" in the header; the status bar names it, shows no memory numbers, says counts are estimates', () => {
  assert.equal(managedBy(ready), 'managed by Ollama at http://127.0.0.1:11434');
  assert.deepEqual(endpointServerView(ready), { kind: 'ready', label: 'ready · llama3.2:3b · ctx 131072 · managed by Ollama at http://127.0.0.1:11434' });
  const bar = endpointStatusBar(ready);
  assert.equal(bar.text, '$(server-environment) Ollama · llama3.2:3b');
  assert.doesNotMatch(bar.text + bar.tooltip, /GiB|MiB/);
  assert.match(bar.tooltip, /Token counts are estimates/);
});

test('a failed endpoint shows its one sentence; one still connecting says so', () => {
  const failed: EndpointState = { kind: 'failed', baseUrl: 'http://127.0.0.1:8080', error: new EndpointAuthError('http://127.0.0.1:8080', 401, false) };
  assert.equal(endpointServerView(failed).kind, 'failed');
  assert.match(endpointServerView(failed).label, /needs an API key \(HTTP 401\)/);
  assert.equal(endpointServerView({ kind: 'connecting', baseUrl: 'http://x:1' }).kind, 'starting');
});

test('a model id that is a file path (llama-server) is shown by its file name; other ids as they are', () => {
  assert.equal(modelLabel('/tmp/models/tiny-dense-Q8_0.gguf'), 'tiny-dense-Q8_0.gguf');
  assert.equal(modelLabel('C:\\models\\qwen.GGUF'), 'qwen.GGUF');
  assert.equal(modelLabel('Qwen/Qwen2.5-Coder-7B-Instruct'), 'Qwen/Qwen2.5-Coder-7B-Instruct');
});

test('HEADROOM_DISCOVER_PORTS: the usual places when unset; KIND=PORT pairs; anything else a clear error', () => {
  assert.equal(placesFromEnv(undefined), USUAL_PLACES);
  assert.deepEqual(placesFromEnv('ollama=1,llama-server=65535'), [{ kind: 'ollama', port: 1 }, { kind: 'llama-server', port: 65535 }]);
  assert.throws(() => placesFromEnv('ollama=0'), HeadroomError);
  assert.throws(() => placesFromEnv('vllm=8000'), /is not KIND=PORT/);
});

test('the plan panel\'s "managed" state and the meter\'s estimate flag pass the protocol guards; the meter says it is an estimate', () => {
  assert.ok(isPlanPanelState({ kind: 'managed', by: managedBy(ready) }));
  assert.ok(!isPlanPanelState({ kind: 'managed' }));
  assert.ok(isContextView({ pending: [], used: 10, limit: 100, omittedTurns: 0, estimated: true }));
  assert.ok(!isContextView({ pending: [], used: 10, limit: 100, omittedTurns: 0, estimated: false }));
  assert.equal(formatMeter(1234, 131072, true), 'Context: ~1,234 / 131,072 tokens (estimate: the server cannot count them)');
  assert.equal(formatMeter(1234, 131072), 'Context: 1,234 / 131,072 tokens');
});

test('the context tracker marks its state estimated exactly when the counter is an estimate', async () => {
  const tracker = (estimating: boolean): ContextTracker =>
    new ContextTracker({
      source: { collect: () => Promise.resolve(undefined) },
      getTokenCounter: () => (estimating ? new EstimatedTokenCounter() : { countText: () => Promise.resolve(1), countMessages: () => Promise.resolve(1) }),
      getContextSize: () => 4096,
      getHistory: () => [{ role: 'user', content: 'x'.repeat(40) }],
      log: { warn: () => undefined },
    });
  const estimated = tracker(true);
  const exact = tracker(false);
  try {
    await estimated.refresh();
    assert.equal(estimated.state.estimated, true);
    assert.equal(estimated.state.used, 4 + 10, 'four for the message, one per four characters');
    assert.equal(exact.state.estimated, undefined);
  } finally {
    estimated.dispose();
    exact.dispose();
  }
});
