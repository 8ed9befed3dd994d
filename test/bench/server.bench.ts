// Server benchmark: time from start to ready (plan + dry run + spawn + load) on the generated demo
// model, and generation speed measured by the client against llama-server's own timings.
import { cpus } from 'node:os';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { realServer, tempDir, tinyModel } from '../integration/realServer';
import { runBench } from './benchmarksFile';
import { itemAt } from '../fixtures/itemAt';

const RUNS = 5;
const TOKENS = 256;

const median = (xs: number[]): number => itemAt([...xs].sort((a, b) => a - b), Math.floor(xs.length / 2));

async function main(): Promise<string> {
  const server = await realServer();
  const dir = tempDir('bench-server');
  const rows: { startMs: number; planMs: number; client: number; serverTps: number; promptTps: number; ttftMs: number }[] = [];
  try {
    const model = await tinyModel(dir.path, 'tiny-dense', 'Q8_0');
    for (let i = 0; i < RUNS; i++) {
      const runner = new ModelRunner({ cacheRoot: headroomCacheDir(), sourceFrom: __dirname, llamaServerPath: () => server.path }, new SystemHardwareProbe());
      const planStarted = performance.now();
      await runner.planOnly({ modelPath: model, wishes: {} });
      const planMs = performance.now() - planStarted;
      const started = performance.now();
      const { server: ready } = await runner.start({ modelPath: model, wishes: {}, port: 0, extraArgs: [] });
      const startMs = performance.now() - started;
      const client = new OpenAiClient({ baseUrl: ready.baseUrl, apiKey: ready.apiKey });
      const sent = performance.now();
      const arrivals: number[] = [];
      let timings;
      for await (const d of client.stream({ messages: [{ role: 'user', content: `Story number ${i}.` }], temperature: 0, maxTokens: TOKENS })) {
        if (d.kind === 'text') arrivals.push(performance.now());
        else timings = d.timings;
      }
      await runner.stop();
      runner.dispose();
      const first = itemAt(arrivals, 0);
      const span = itemAt(arrivals, -1) - first;
      rows.push({
        startMs,
        planMs,
        client: span > 0 ? ((arrivals.length - 1) * 1000) / span : 0,
        serverTps: timings?.predictedPerSecond ?? 0,
        promptTps: timings?.promptPerSecond ?? 0,
        ttftMs: first - sent,
      });
    }
  } finally {
    dir.dispose();
  }
  const body = [
    '## Server start and streaming',
    '',
    `\`npm run bench -- server\` (test/bench/server.bench.ts): ${RUNS} runs on the generated tiny-dense Q8_0 model (random weights), llama-server ${server.version}, CPU build, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}). Start = plan (estimate + llama.cpp dry run) + spawn + load until /health is 200. Client tokens/s counts streamed deltas between the first and the last; llama-server's is its own \`timings.predicted_per_second\`.`,
    '',
    '| run | plan only ms | start to ready ms | first token ms | client tok/s | llama-server tok/s | prompt tok/s |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r, i) => `| ${i + 1} | ${r.planMs.toFixed(0)} | ${r.startMs.toFixed(0)} | ${r.ttftMs.toFixed(0)} | ${r.client.toFixed(1)} | ${r.serverTps.toFixed(1)} | ${r.promptTps.toFixed(1)} |`),
    `| median | ${median(rows.map((r) => r.planMs)).toFixed(0)} | ${median(rows.map((r) => r.startMs)).toFixed(0)} | ${median(rows.map((r) => r.ttftMs)).toFixed(0)} | ${median(rows.map((r) => r.client)).toFixed(1)} | ${median(rows.map((r) => r.serverTps)).toFixed(1)} | ${median(rows.map((r) => r.promptTps)).toFixed(1)} |`,
  ].join('\n');
  return body;
}

runBench('server', main);
