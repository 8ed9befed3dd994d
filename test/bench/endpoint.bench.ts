// Endpoint benchmark (issue 13): the chat path through an endpoint (describeEndpoint + EndpointBackend, as for a
// server Headroom did not start) against the managed path (the OpenAiClient ServerController hands out), on the
// same running llama-server: wall time from sending the request to the last token, interleaved runs, the ratio
// per pair with its spread. Run: npm run bench -- endpoint
import { cpus, loadavg } from 'node:os';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import type { ChatBackend } from '../../src/extension/chat/types';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { describeEndpoint } from '../../src/extension/endpoints/describeEndpoint';
import { EndpointBackend } from '../../src/extension/endpoints/endpointChat';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { itemAt } from '../fixtures/itemAt';
import { realServer, tempDir, tinyModel } from '../integration/realServer';
import { runBench } from './benchmarksFile';

const PAIRS = 41;
const TOKENS = 64;

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const median = (xs: number[]): number => itemAt(sorted(xs), Math.floor(xs.length / 2));
const quantile = (xs: number[], q: number): number => itemAt(sorted(xs), Math.min(xs.length - 1, Math.floor(q * xs.length)));

/** Wall time from the request to the last token, and the tokens that came. */
async function timed(backend: ChatBackend, i: number): Promise<{ ms: number; tokens: number }> {
  const sent = performance.now();
  let last = sent;
  let tokens = 0;
  for await (const d of backend.stream({ messages: [{ role: 'user', content: `Tell me about llamas (${i}).` }], temperature: 0, maxTokens: TOKENS, seed: 1 })) {
    if (d.kind === 'text') {
      tokens++;
      last = performance.now();
    }
  }
  return { ms: last - sent, tokens };
}

async function main(): Promise<string> {
  const server = await realServer();
  const dir = tempDir('bench-endpoint');
  const runner = new ModelRunner({ cacheRoot: headroomCacheDir(), sourceFrom: __dirname, llamaServerPath: () => server.path }, new SystemHardwareProbe());
  const managed: number[] = [];
  const endpoint: number[] = [];
  const ratios: number[] = [];
  let describeMs = 0;
  let tokens = 0;
  let load = 0;
  try {
    const model = await tinyModel(dir.path, 'tiny-dense', 'Q8_0');
    const { server: ready } = await runner.start({ modelPath: model, wishes: { contextSize: 2048 }, port: 0, extraArgs: [] });
    const managedBackend = new OpenAiClient({ baseUrl: ready.baseUrl, apiKey: ready.apiKey, watch: ready.watch });
    const described = performance.now();
    const info = await describeEndpoint({ baseUrl: ready.baseUrl, apiKey: ready.apiKey });
    describeMs = performance.now() - described;
    const endpointBackend = new EndpointBackend({ baseUrl: ready.baseUrl, apiKey: ready.apiKey }, itemAt(info.models, 0).id);
    await timed(managedBackend, -1); // warm-up: the first request fills caches on both sides
    for (let i = 0; i < PAIRS; i++) {
      // Interleaved, the order swapped every pair, so that drift in the machine's load falls on both sides.
      const order = i % 2 === 0 ? (['m', 'e'] as const) : (['e', 'm'] as const);
      const result: Record<'m' | 'e', number> = { m: 0, e: 0 };
      for (const side of order) {
        const r = await timed(side === 'm' ? managedBackend : endpointBackend, i);
        result[side] = r.ms;
        tokens = Math.max(tokens, r.tokens);
      }
      managed.push(result.m);
      endpoint.push(result.e);
      ratios.push(result.e / result.m);
    }
    load = itemAt(loadavg(), 0);
  } finally {
    await runner.stop();
    runner.dispose();
    dir.dispose();
  }
  const row = (name: string, xs: number[]): string => `| ${name} | ${median(xs).toFixed(0)} | ${quantile(xs, 0.25).toFixed(0)}–${quantile(xs, 0.75).toFixed(0)} | ${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} |`;
  return [
    '## Chat through an endpoint vs the managed server',
    '',
    `\`npm run bench -- endpoint\` (test/bench/endpoint.bench.ts): one llama-server ${server.version} (CPU build, ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}) on the generated tiny-dense Q8_0 model; ${PAIRS} interleaved pairs (order swapped each pair) of the same request (${TOKENS} tokens at most, temperature 0, seed 1; ${tokens} tokens came), after one warm-up. Measure: wall time from sending the request to the last token. Managed = the OpenAiClient ServerController hands out; endpoint = EndpointBackend after describeEndpoint, as for a server Headroom did not start. Describing the server (once per choice, not per request) took ${describeMs.toFixed(0)} ms. Load average at the end: ${load.toFixed(1)} (the machine is shared, so single runs scatter widely; the per-pair ratio is the number to read).`,
    '',
    '| path | median ms | interquartile ms | min–max ms |',
    '|---|---|---|---|',
    row('managed', managed),
    row('endpoint', endpoint),
    '',
    `Endpoint / managed, per pair: median ${median(ratios).toFixed(3)}, interquartile ${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)}, min–max ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}.`,
  ].join('\n');
}

runBench('endpoint', main);
