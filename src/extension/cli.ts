#!/usr/bin/env node
/** `headroom demo | serve | chat | build`: the CLI over the same core the extension uses. */
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { headroomCacheDir } from './common/cacheDir';
import { errorMessage } from './common/errors';
import { CliProgress } from './cliProgress';
import { Conversation } from './chat/conversation';
import { OpenAiClient } from './chat/openaiClient';
import { BUILD_BACKENDS, type BuildBackend } from './llama/buildBackend';
import { createSupervisor } from './llama/createSupervisor';
import { resolveServer } from './llama/locateServer';
import type { ReadyServer, Supervisor } from './llama/supervisor';
import { ensureDemoModel } from './demoModel';
import { modelsCommand, pullCommand } from './models/cli';
import { SystemHardwareProbe, memoryReadout } from './memory/hardware';
import type { ServerState } from './llama/serverState';

const USAGE = `Usage: headroom <command> [options]

Commands:
  demo   [--model PATH] [--prompt TEXT]   start a model, stream one reply, stop (a generated demo model when no --model)
  chat   [--model PATH]                   chat in the terminal
  serve  [--model PATH] [--port N]        run the model until Ctrl+C and print its URL and key
  build  [--backend cpu|cuda|vulkan|metal] locate llama-server, or build it from the bundled llama.cpp source
  models [--all] [--json] [--folder DIR]  list GGUF models on this machine (HF cache, LM Studio, llama.cpp, Ollama, folders)
  pull   hf:owner/repo[:QUANT|/FILE] | URL [--dir DIR]  download a model (resumable, checked); a bare repo lists its quants

Common options: --ctx N (context size, 0 = model default fitted to memory), --llama-server PATH, --max-tokens N`;

const DEFAULT_PROMPT = 'Write a haiku about memory.';

interface CliOptions {
  model?: string;
  prompt: string;
  ctx: number;
  port: number;
  maxTokens: number;
  llamaServer?: string;
  backend?: BuildBackend;
}

function parse(argv: string[]): { command: string; options: CliOptions } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      prompt: { type: 'string', short: 'p' },
      ctx: { type: 'string', short: 'c' },
      port: { type: 'string' },
      'max-tokens': { type: 'string', short: 'n' },
      'llama-server': { type: 'string' },
      backend: { type: 'string' },
      // `headroom models` and `headroom pull` (src/extension/models/cli.ts) read these themselves.
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      dir: { type: 'string' },
      folder: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : (positionals[0] ?? 'help');
  const int = (name: string, v: string | undefined, d: number): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${v}".`);
    return n;
  };
  if (values.backend !== undefined && !BUILD_BACKENDS.includes(values.backend as BuildBackend)) {
    throw new Error(`--backend must be one of ${BUILD_BACKENDS.join(', ')}.`);
  }
  return {
    command,
    options: {
      model: values.model ?? positionals[1],
      prompt: values.prompt ?? DEFAULT_PROMPT,
      ctx: int('ctx', values.ctx, 2048),
      port: int('port', values.port, 0),
      maxTokens: int('max-tokens', values['max-tokens'], 64),
      llamaServer: values['llama-server'],
      backend: values.backend as BuildBackend | undefined,
    },
  };
}

const say = (line: string): void => void process.stderr.write(`${line}\n`);

function describeState(state: ServerState): string | undefined {
  switch (state.kind) {
    case 'starting':
      return 'starting llama-server...';
    case 'crashed':
      return `llama-server crashed (${state.signal ?? `code ${state.code}`}); restarting in ${Math.round(state.retryInMs / 1000)} s`;
    case 'failed':
      return `llama-server failed: ${state.error}`;
    default:
      return undefined;
  }
}

function supervisorFor(options: CliOptions, progress: CliProgress): Supervisor {
  const supervisor = createSupervisor({
    cacheRoot: headroomCacheDir(),
    sourceFrom: __dirname,
    llamaServerPath: () => options.llamaServer,
    backend: options.backend,
    onLocated: (s) => {
      progress.done();
      say(`llama-server: ${s.path} (${s.source}, version ${s.version})`);
    },
    onServerLine: process.env.HEADROOM_VERBOSE ? (line) => say(`  | ${line}`) : undefined,
  });
  let loading = -1;
  supervisor.onDidChangeState((state) => {
    if (state.kind === 'building') progress.update(state.percent, state.message);
    else if (state.kind === 'loading' && state.percent !== null && state.percent !== loading) {
      loading = state.percent;
      progress.update(state.percent, 'loading the model');
    } else {
      const text = describeState(state);
      if (text) say(text);
    }
  });
  return supervisor;
}

async function modelPath(options: CliOptions): Promise<string> {
  if (options.model) return options.model;
  const path = await ensureDemoModel(join(headroomCacheDir(), 'models'));
  say(`model: ${path}`);
  say('  (no --model given: this is Headroom\'s generated demo model. Its weights are random, so its reply is gibberish;');
  say('   every step it runs through (build, plan, supervise, stream) is the real one.)');
  return path;
}

async function startServer(options: CliOptions): Promise<{ supervisor: Supervisor; server: ReadyServer }> {
  const progress = new CliProgress();
  const supervisor = supervisorFor(options, progress);
  const model = await modelPath(options);
  const started = Date.now();
  try {
    const server = await supervisor.start({ modelPath: model, contextSize: options.ctx, port: options.port, extraArgs: [] });
    progress.done();
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${server.baseUrl} (pid ${server.pid}, context ${server.contextSize})`);
    return { supervisor, server };
  } catch (err) {
    progress.done();
    await supervisor.stop();
    throw err;
  }
}

async function reply(server: ReadyServer, conversation: Conversation, text: string, maxTokens: number): Promise<boolean> {
  const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  const backend = { stream: (req: Parameters<OpenAiClient['stream']>[0], signal?: AbortSignal) => client.stream({ ...req, maxTokens }, signal) };
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
  const measured = last > first ? `${(((deltas - 1) * 1000) / (last - first)).toFixed(1)} tok/s (client) · ` : '';
  if (s) say(`-- ${s.tokens} tokens · ${s.tokensPerSecond.toFixed(1)} tok/s (llama-server) · ${measured}first token ${Math.round(s.timeToFirstTokenMs)} ms · ${memoryReadout(facts, rss)}${entry.status === 'stopped' ? ' · stopped' : ''}`);
  return true;
}

async function demo(options: CliOptions): Promise<number> {
  const { supervisor, server } = await startServer(options);
  try {
    say(`> ${options.prompt}`);
    const ok = await reply(server, new Conversation({ temperature: 0 }), options.prompt, options.maxTokens);
    return ok ? 0 : 1;
  } finally {
    await supervisor.stop();
    say('llama-server stopped.');
  }
}

async function chat(options: CliOptions): Promise<number> {
  const { supervisor, server } = await startServer(options);
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
    await supervisor.stop();
    say('llama-server stopped.');
  }
  return 0;
}

async function serve(options: CliOptions): Promise<number> {
  const { supervisor, server } = await startServer(options);
  process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, apiKey: server.apiKey, pid: server.pid })}\n`);
  say('Serving until Ctrl+C.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await supervisor.stop();
  say('llama-server stopped.');
  return 0;
}

async function build(options: CliOptions): Promise<number> {
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

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    say(`${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  const commands: Record<string, (o: CliOptions) => Promise<number>> = {
    demo, chat, serve, build,
    models: () => modelsCommand(argv),
    pull: () => pullCommand(argv),
  };
  const run = commands[command];
  if (!run) {
    say(USAGE);
    return command === 'help' ? 0 : 2;
  }
  try {
    return await run(options);
  } catch (err) {
    say(`headroom ${command}: ${errorMessage(err)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
