/** The CLI commands that run a model: demo, chat, serve, build, plan. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headroomCacheDir } from '../../common/cacheDir';
import { CliProgress } from '../progress';
import type { CliOptions } from '../options';
import { Conversation } from '../../chat/conversation';
import { OpenAiClient } from '../../chat/openaiClient';
import { ensureDemoModel } from '../../models/demoModel';
import { resolveServer } from '../../llama/locateServer';
import { ModelRunner } from '../../runner/modelRunner';
import type { ReadyServer } from '../../llama/supervisor';
import type { ServerState } from '../../llama/serverState';
import { SystemHardwareProbe, memoryReadout } from '../../memory/hardware';
import { planJson } from '../../present/planJson';
import { renderPlanText } from '../../present/planText';
import { hfConfigFromEnv } from './models';
import { remoteModelUrl, writeRemoteStub } from '../../models/remoteStub';

const tempStubDir = (): string => mkdtempSync(join(tmpdir(), 'headroom-plan-'));

const say = (line: string): void => void process.stderr.write(`${line}\n`);

function describeState(state: ServerState): string | undefined {
  switch (state.kind) {
    case 'starting':
      return 'starting llama-server...';
    case 'crashed':
      return `llama-server crashed (${state.signal ?? `code ${state.code}`}): ${state.reason} Restarting in ${Math.round(state.retryInMs / 1000)} s.`;
    case 'failed':
      return `llama-server failed: ${state.error}`;
    default:
      return undefined;
  }
}

function runnerFor(options: CliOptions, progress: CliProgress): ModelRunner {
  const runner = new ModelRunner(
    {
      cacheRoot: headroomCacheDir(),
      sourceFrom: __dirname,
      llamaServerPath: () => options.llamaServer,
      backend: options.backend,
      onLocated: (s) => {
        progress.done();
        say(`llama-server: ${s.path} (${s.source}, version ${s.version})`);
      },
      onServerLine: process.env.HEADROOM_VERBOSE ? (line) => say(`  | ${line}`) : undefined,
    },
    new SystemHardwareProbe(),
  );
  let loading = -1;
  runner.supervisor.onDidChangeState((state) => {
    if (state.kind === 'building') progress.update(state.percent, state.message);
    else if (state.kind === 'loading' && state.percent !== null && state.percent !== loading) {
      loading = state.percent;
      progress.update(state.percent, 'loading the model');
    } else {
      const text = describeState(state);
      if (text) say(text);
    }
  });
  runner.onDidRecover((change) => say(`out of memory; ${change}`));
  return runner;
}

async function modelPath(options: CliOptions): Promise<string> {
  if (options.model) return options.model;
  const path = await ensureDemoModel(join(headroomCacheDir(), 'models'));
  say(`model: ${path}`);
  say("  (no --model given: this is Headroom's generated demo model. Its weights are random, so its reply is gibberish;");
  say('   every step it runs through (build, plan, supervise, stream) is the real one.)');
  return path;
}

async function startServer(options: CliOptions): Promise<{ runner: ModelRunner; server: ReadyServer }> {
  const progress = new CliProgress();
  const runner = runnerFor(options, progress);
  const model = await modelPath(options);
  const started = Date.now();
  try {
    const { server } = await runner.start({ modelPath: model, wishes: options.wishes, port: options.port, extraArgs: [] });
    progress.done();
    const p = runner.plan?.plan;
    if (p) say(`plan (${p.source}): ${p.reasons.join(' ')}`);
    for (const warning of p?.warnings ?? []) say(`warning: ${warning}`);
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${server.baseUrl} (pid ${server.pid}, context ${server.contextSize})`);
    return { runner, server };
  } catch (err) {
    progress.done();
    await runner.stop();
    throw err;
  }
}

const CLIENT_RATE_MIN_MS = 250;

async function reply(server: ReadyServer, conversation: Conversation, text: string, maxTokens: number, seed?: number): Promise<boolean> {
  const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  const backend = { stream: (req: Parameters<OpenAiClient['stream']>[0], signal?: AbortSignal) => client.stream({ ...req, maxTokens, seed }, signal) };
  // Measured here too, from when the deltas arrive, to check the server's own timings against.
  let deltas = 0;
  let first = 0;
  let last = 0;
  const sub = conversation.onEvent((e) => {
    if (e.type !== 'entryDelta') return;
    last = performance.now();
    if (deltas++ === 0) first = last;
    process.stdout.write(e.text);
  });
  const entry = await conversation.send(text, backend);
  sub.dispose();
  process.stdout.write('\n');
  const probe = new SystemHardwareProbe();
  const [facts, rss] = await Promise.all([probe.sample(), probe.processRssMiB(server.pid)]);
  if (entry.status === 'error') {
    say(`error: ${entry.error}`);
    return false;
  }
  const s = entry.stats;
  // Over a short reply, deltas that arrive bunched in one TCP read make the client's rate meaningless.
  const measured = last - first >= CLIENT_RATE_MIN_MS ? `${(((deltas - 1) * 1000) / (last - first)).toFixed(1)} tok/s (client) · ` : '';
  if (s) say(`-- ${s.tokens} tokens · ${s.tokensPerSecond.toFixed(1)} tok/s (llama-server) · ${measured}first token ${Math.round(s.timeToFirstTokenMs)} ms · ${memoryReadout(facts, rss)}${entry.status === 'stopped' ? ' · stopped' : ''}`);
  return true;
}

const DEMO_SAMPLING_SEED = 42;

export async function demo(options: CliOptions): Promise<number> {
  const { runner, server } = await startServer(options);
  try {
    say(`> ${options.prompt}`);
    // Sampled with a fixed seed: the same reply every run, without the loop greedy decoding falls into on random weights.
    const ok = await reply(server, new Conversation({ temperature: 0.8 }), options.prompt, options.maxTokens, DEMO_SAMPLING_SEED);
    return ok ? 0 : 1;
  } finally {
    await runner.stop();
    say('llama-server stopped.');
  }
}

export async function chat(options: CliOptions): Promise<number> {
  const { runner, server } = await startServer(options);
  const conversation = new Conversation();
  const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: 'you> ' });
  rl.on('SIGINT', () => (conversation.busy ? conversation.stop() : rl.close()));
  rl.prompt();
  try {
    for await (const line of rl) {
      if (line.trim()) await reply(server, conversation, line, options.maxTokens);
      rl.prompt();
    }
  } finally {
    await runner.stop();
    say('llama-server stopped.');
  }
  return 0;
}

export async function serve(options: CliOptions): Promise<number> {
  const { runner, server } = await startServer(options);
  process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, apiKey: server.apiKey, pid: server.pid })}\n`);
  say('Serving until Ctrl+C.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await runner.stop();
  say('llama-server stopped.');
  return 0;
}

export async function build(options: CliOptions): Promise<number> {
  const progress = new CliProgress();
  const started = Date.now();
  const located = await resolveServer({
    configuredPath: options.llamaServer,
    cacheRoot: headroomCacheDir(),
    sourceFrom: __dirname,
    backend: options.backend,
    onProgress: (p, m) => progress.update(p, m),
    onLine: process.env.HEADROOM_VERBOSE ? (line) => say(`  | ${line}`) : undefined,
  });
  progress.done();
  say(`llama-server: ${located.path} (${located.source}, version ${located.version}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/** `headroom plan MODEL|URL|hf:owner/repo/file.gguf [--ctx N] [--vram MiB[,MiB...]] [--json]`: a remote model is planned from its header alone. */
export async function planCommand(options: CliOptions): Promise<number> {
  if (!options.model) throw new Error('Usage: headroom plan MODEL [--ctx N] [--vram MiB[,MiB...]] [--json]');
  const progress = new CliProgress();
  const runner = runnerFor({ ...options }, progress);
  const stubDir = tempStubDir();
  try {
    const url = existsSync(options.model) ? undefined : await remoteModelUrl(options.model, hfConfigFromEnv());
    if (url) say(`planning before download: reading the header of ${url}`);
    const modelPath = url ? await writeRemoteStub(url, stubDir, hfConfigFromEnv()) : options.model;
    const report = await runner.planOnly({ modelPath, wishes: options.wishes, simulatedVramMiB: options.vram, port: options.port });
    progress.done();
    process.stdout.write(options.json ? `${JSON.stringify(planJson(report), null, 2)}\n` : `${renderPlanText(report, { color: process.stdout.isTTY })}\n`);
    return report.plan.fits ? 0 : 3;
  } finally {
    runner.dispose();
    rmSync(stubDir, { recursive: true, force: true });
  }
}
