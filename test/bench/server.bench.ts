// The chat path and the start, each against the least that does the same job, on a generated ~1B model whose
// speed is a real model's on this CPU; and generation speed against this machine's memory bandwidth.
// Sections: chat-path, start-overhead, roofline.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import type { ChatRequest } from '../../src/extension/chat/types';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { readGgufHeader } from '../../src/extension/gguf/header';
import type { FixtureType } from '../../src/extension/gguf/writer/quantize';
import { findFreePort } from '../../src/extension/llama/ports';
import { healthStatus } from '../../src/extension/llama/serverEndpoints';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { realServer } from '../integration/realServer';
import { benchModel } from './benchModels';
import { runBench } from './benchmarksFile';
import { directStream, type StreamTiming } from './directClient';
import { measureReadBandwidth } from './memoryBandwidth';
import { median, spread } from './stats';

const PAIRS = 6;
const STARTS = 3;
const TOKENS = 64;
const CONTEXT = 2048;
const PRESET = 'small-llama';

function newRunner(binary: string): ModelRunner {
  return new ModelRunner({ cacheRoot: headroomCacheDir(), sourceFrom: __dirname, llamaServerPath: () => binary }, new SystemHardwareProbe());
}

/** The same body Headroom's client sends (openaiClient.ts), for the direct client. */
function requestBody(request: ChatRequest): unknown {
  return { model: 'local', messages: request.messages, stream: true, temperature: request.temperature, max_tokens: request.maxTokens, seed: request.seed, timings_per_token: false };
}

async function headroomStream(client: OpenAiClient, request: ChatRequest): Promise<StreamTiming & { serverTps: number }> {
  const sent = performance.now();
  let first = 0;
  let last = 0;
  let tokens = 0;
  let serverTps = 0;
  for await (const delta of client.stream(request)) {
    if (delta.kind === 'text') {
      last = performance.now();
      if (first === 0) first = last;
    } else if (delta.kind === 'done') {
      serverTps = delta.timings?.predictedPerSecond ?? 0;
      tokens = delta.timings?.predictedTokens ?? 0;
    }
  }
  return { firstMs: first - sent, lastMs: last - sent, tokens, serverTps };
}

interface PathRun {
  headroom: StreamTiming;
  direct: StreamTiming;
  serverTps: number;
}

/** Interleaved pairs, alternating which client goes first; every request has its own prompt of the same shape. */
async function chatPath(model: string, binary: string): Promise<{ runs: PathRun[]; args: readonly string[] }> {
  const runner = newRunner(binary);
  try {
    const { server } = await runner.start({ modelPath: model, wishes: { contextSize: CONTEXT }, port: 0, extraArgs: [] });
    const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
    const request = (n: number): ChatRequest => ({ messages: [{ role: 'user', content: `Request ${String(n).padStart(3, '0')}: tell me a story.` }], temperature: 0, seed: 1, maxTokens: TOKENS });
    // One request each way first, unmeasured: page cache, thread pools.
    await headroomStream(client, request(900));
    await directStream(server.baseUrl, server.apiKey, requestBody(request(901)));
    const runs: PathRun[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = request(2 * i);
      const b = request(2 * i + 1);
      const h = i % 2 === 0 ? await headroomStream(client, a) : undefined;
      const direct = await directStream(server.baseUrl, server.apiKey, requestBody(b));
      const headroom = h ?? (await headroomStream(client, a));
      if (headroom.tokens !== TOKENS || direct.tokens !== TOKENS) throw new Error(`expected ${TOKENS} tokens each, got ${headroom.tokens} (Headroom) and ${direct.tokens} (direct)`);
      runs.push({ headroom, direct, serverTps: headroom.serverTps });
    }
    return { runs, args: server.args };
  } finally {
    await runner.stop();
    runner.dispose();
  }
}

/** Spawn to /health 200 of llama-server with exactly the arguments Headroom used, polled every 25 ms. */
async function directStart(binary: string, args: readonly string[]): Promise<number> {
  const port = await findFreePort();
  const argv = [...args];
  argv[argv.indexOf('--port') + 1] = String(port);
  const apiKey = 'bench-key';
  const started = performance.now();
  const child = spawn(binary, argv, { stdio: 'ignore', env: { ...process.env, LLAMA_API_KEY: apiKey } });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}`);
      if ((await healthStatus(`http://127.0.0.1:${port}`).catch(() => 0)) === 200) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

async function startOverhead(model: string, binary: string): Promise<{ headroomMs: number[]; directMs: number[]; planMs: number[] }> {
  const headroomMs: number[] = [];
  const directMs: number[] = [];
  const planMs: number[] = [];
  for (let i = 0; i < STARTS; i++) {
    const runner = newRunner(binary);
    try {
      const planned = performance.now();
      await runner.planOnly({ modelPath: model, wishes: { contextSize: CONTEXT } });
      planMs.push(performance.now() - planned);
      const started = performance.now();
      const { server } = await runner.start({ modelPath: model, wishes: { contextSize: CONTEXT }, port: 0, extraArgs: [] });
      headroomMs.push(performance.now() - started);
      await runner.stop();
      directMs.push(await directStart(binary, server.args));
    } finally {
      runner.dispose();
    }
  }
  return { headroomMs, directMs, planMs };
}

/** Bytes one generated token reads: every weight once (one row of token_embd when there is a separate output matrix). */
async function bytesPerToken(model: string): Promise<number> {
  const header = await readGgufHeader(model);
  const hasOutput = header.tensors.some((t) => t.name === 'output.weight');
  return header.tensors.reduce((sum, t) => {
    if (t.name === 'token_embd.weight' && hasOutput) return sum + t.bytes / (t.dims[1] ?? 1);
    return sum + t.bytes;
  }, 0);
}

async function main(): Promise<Record<string, string>> {
  const located = await realServer();
  const cores = (await new SystemHardwareProbe().sample()).physicalCores;
  const machine = `${cpus().length} logical cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), llama-server ${located.version}, CPU build`;
  const types: FixtureType[] = ['Q8_0', 'Q4_0'];
  const models = new Map<FixtureType, string>();
  for (const type of types) models.set(type, await benchModel(PRESET, type));
  const q8 = models.get('Q8_0') ?? '';

  const path = await chatPath(q8, located.path);
  const start = await startOverhead(q8, located.path);
  const roof: { type: FixtureType; tps: number; bytes: number }[] = [{ type: 'Q8_0', tps: median(path.runs.map((r) => r.serverTps)), bytes: await bytesPerToken(q8) }];
  for (const type of types.slice(1)) {
    const other = await chatPath(models.get(type) ?? '', located.path);
    roof.push({ type, tps: median(other.runs.map((r) => r.serverTps)), bytes: await bytesPerToken(models.get(type) ?? '') });
  }
  const bandwidth = measureReadBandwidth(cores);

  const ratios = path.runs.map((r) => r.headroom.lastMs / r.direct.lastMs);
  const ttftDelta = path.runs.map((r) => r.headroom.firstMs - r.direct.firstMs);
  const parameters = (await readGgufHeader(q8)).tensors.reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
  const model = `the generated ${PRESET} model (${(parameters / 1e9).toFixed(2)}B parameters, random weights, ${CONTEXT} context)`;
  const chatSection = [
    '## Chat path: Headroom\'s client vs a direct HTTP client',
    '',
    `\`npm run bench -- server\` (test/bench/server.bench.ts), ${machine}. One llama-server started by Headroom on ${model} Q8_0; ${PAIRS} interleaved pairs (the first of a pair alternates), each request ${TOKENS} generated tokens at temperature 0, seed 1, its own prompt of the same shape ("Request NNN: tell me a story."). Headroom = \`OpenAiClient.stream\` (validation, stall watch, idle timer); direct = node:http with the same JSON body, SSE lines split by hand (test/bench/directClient.ts). Both times run from sending the request to the last text token, on the same clock.`,
    '',
    '| | Headroom | direct | Headroom / direct |',
    '|---|---|---|---|',
    `| request to last token, ms: median (min–max) | ${spread(path.runs.map((r) => r.headroom.lastMs), 0)} | ${spread(path.runs.map((r) => r.direct.lastMs), 0)} | ${spread(ratios, 3)} |`,
    `| time to first token, ms | ${spread(path.runs.map((r) => r.headroom.firstMs), 0)} | ${spread(path.runs.map((r) => r.direct.firstMs), 0)} | Headroom − direct: ${spread(ttftDelta, 1, ' ms')} |`,
    `| llama-server's own generation speed, tok/s | ${spread(path.runs.map((r) => r.serverTps), 1)} | | |`,
  ].join('\n');
  const overhead = start.headroomMs.map((h, i) => h - (start.directMs[i] ?? 0));
  const startSection = [
    '## Start overhead: Headroom\'s start vs llama-server\'s own load',
    '',
    `Same program and model (Q8_0, file in the page cache after the first load). Headroom = \`ModelRunner.start\` until ready: read the header, probe the hardware, list devices, estimate, llama.cpp's dry run (llama-fit-params), spawn, poll /health every 200 ms. llama-server alone = spawn with the very arguments Headroom used until /health answers 200, polled every 25 ms. ${STARTS} interleaved pairs (Headroom, then llama-server alone).`,
    '',
    '| | median (min–max) |',
    '|---|---|',
    `| Headroom start to ready, ms | ${spread(start.headroomMs, 0)} |`,
    `| llama-server spawn to ready, ms | ${spread(start.directMs, 0)} |`,
    `| overhead (Headroom − llama-server), ms | ${spread(overhead, 0)} |`,
    `| the plan alone (planOnly: estimate + dry run), ms | ${spread(start.planMs, 0)} |`,
  ].join('\n');
  const roofSection = [
    '## Roofline: generation speed against memory bandwidth',
    '',
    `Generation reads every weight once per token, so tokens/s × bytes per token cannot exceed the memory bandwidth. Bandwidth: test/bench/memoryBandwidth.c, ${cores} threads summing a 1 GiB buffer, best of 5 passes. Bytes per token: all weight tensors from the GGUF header (one row of token_embd; the KV cache read, under 2 MB at these positions, is left out). Speed: llama-server's own \`predicted_per_second\`, median of ${PAIRS} requests of ${TOKENS} tokens on ${model}.`,
    '',
    '| weights | MB read per token | generation tok/s | GB/s achieved | share of measured bandwidth |',
    '|---|---|---|---|---|',
    ...roof.map((r) => `| ${r.type} | ${(r.bytes / 1e6).toFixed(0)} | ${r.tps.toFixed(2)} | ${((r.tps * r.bytes) / 1e9).toFixed(2)} | ${((100 * r.tps * r.bytes) / 1e9 / bandwidth).toFixed(0)}% |`),
    `| measured read bandwidth | | | ${bandwidth.toFixed(2)} | 100% |`,
  ].join('\n');
  return { 'chat-path': chatSection, 'start-overhead': startSection, roofline: roofSection };
}

runBench('server', main);
