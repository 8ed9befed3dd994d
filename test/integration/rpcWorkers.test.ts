// llama.cpp RPC workers for real: ggml-rpc-server processes on loopback ports, started the way `headroom worker`
// starts them, a model planned across them by llama.cpp's dry run, loaded split across them, and one killed mid-reply.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import { parseRpcWorkers, type RpcWorker } from '../../src/extension/endpoints/rpcWorkers';
import { workerAnswers } from '../../src/extension/endpoints/workerProbe';
import type { LocatedServer } from '../../src/extension/llama/locateServer';
import { findFreePort } from '../../src/extension/llama/ports';
import { startRpcWorker, type StartedWorker } from '../../src/extension/llama/rpcWorker';
import type { ServerState } from '../../src/extension/llama/serverState';
import { writeSparseModel } from '../../src/extension/gguf/writer/models';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { CLI, runCli } from '../fixtures/cliProcess';
import { realServer, RecordingLauncher, tempDir, tinyModel, waitFor } from './realServer';

const dir = tempDir('rpc');
const REPO = join(__dirname, '..', '..', '..');
let located: LocatedServer;
let tiny = '';
const launcher = new RecordingLauncher();

before(async () => {
  located = await realServer();
  tiny = await tinyModel(dir.path);
});

after(async () => {
  for (const p of launcher.started) p.kill('SIGKILL');
  await Promise.all(launcher.started.map((p) => p.exited));
  dir.dispose();
});

/** `n` workers of the real build on free loopback ports, as `headroom worker` starts them. */
async function startWorkers(n: number): Promise<StartedWorker[]> {
  const binary = located.rpcServer;
  assert.ok(binary, `the build beside ${located.path} has ggml-rpc-server`);
  const workers: StartedWorker[] = [];
  for (let i = 0; i < n; i++) workers.push(await startRpcWorker(binary, { host: '127.0.0.1', port: await findFreePort() }, launcher));
  return workers;
}

const used = (d: { modelMiB: number; contextMiB: number; computeMiB: number }): number => d.modelMiB + d.contextMiB + d.computeMiB;
const cliEnv = (): NodeJS.ProcessEnv => ({ ...process.env, HEADROOM_CACHE_DIR: join(dir.path, 'cache'), HEADROOM_VERBOSE: '' });

interface JsonDevice {
  name: string;
  worker?: string;
  budgetMiB?: number;
  freeMiB: number;
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

test('headroom plan --rpc: a 70B-shaped model too large for either worker is planned by the dry run across both workers (each within its budget) and this machine', async () => {
  const [a, b] = await startWorkers(2);
  assert.ok(a && b);
  const model = join(dir.path, 'llama3-70b-Q4_K_M.gguf');
  await writeSparseModel(model, 'llama3-70b', { quant: 'Q4_K_M' });
  const rpc = `${a.address}=12000,${b.address}=10000`;
  const common = ['plan', model, '--ctx', '4096', '--rpc', rpc, '--llama-server', located.path];
  const [json, text] = await Promise.all([runCli([...common, '--json'], cliEnv()), runCli(common, cliEnv())]);
  assert.ok(json.code === 0 || json.code === 3, `plan ran (exit ${json.code}): ${json.stderr}`);
  const plan = JSON.parse(json.stdout) as { source: string; devices: JsonDevice[]; host: JsonDevice; args: string[]; llamaCppFit: { gpuLayers: number } | null };
  assert.equal(plan.source, 'dry-run');
  assert.equal(plan.devices.length, 2, 'one device per worker (no GPU here)');
  const budgets = [12000, 10000];
  plan.devices.forEach((d, i) => {
    assert.equal(d.name, `RPC${i}`);
    assert.equal(d.worker, [a, b][i]!.address);
    assert.equal(d.budgetMiB, budgets[i]);
    assert.ok(used(d) <= budgets[i]!, `${d.worker}: ${used(d)} MiB within its ${budgets[i]} MiB budget`);
    // A 70B layer is ~500 MiB: the fit filled the budget, so the budget (not the worker's 'free' RAM) decided.
    assert.ok(used(d) > budgets[i]! - 1500, `${d.worker}: ${used(d)} MiB fills its budget`);
    assert.ok(d.freeMiB > budgets[i]!, 'the worker reports more than its budget: only the budget held it');
  });
  assert.ok(plan.host.modelMiB > 5000, `the rest stays on this machine: ${plan.host.modelMiB} MiB`);
  const totalModel = plan.devices.reduce((s, d) => s + d.modelMiB, 0) + plan.host.modelMiB;
  assert.ok(totalModel > 12000 + 10000, `${totalModel} MiB of weights: more than both budgets together`);
  assert.ok(plan.args.includes('--rpc') && plan.args[plan.args.indexOf('--rpc') + 1] === `${a.address},${b.address}`, plan.args.join(' '));
  assert.ok(plan.llamaCppFit && plan.args.includes(String(plan.llamaCppFit.gpuLayers)), "llama.cpp's own fit placed the layers");
  assert.match(text.stdout, new RegExp(`RPC0 worker ${a.address.replace(/\./g, '\\.')}`));
  assert.match(text.stdout, new RegExp(`RPC1 worker ${b.address.replace(/\./g, '\\.')}`));
  assert.match(text.stdout, /layers on RPC workers/);
  assert.match(text.stdout, /--rpc 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ -ngl \d+/);
});

/** A runner of the real build whose server lines are kept. */
function runnerFor(lines: string[]): ModelRunner {
  return new ModelRunner({ cacheRoot: dir.path, sourceFrom: REPO, llamaServerPath: () => located.path, onServerLine: (l) => lines.push(l), stopGraceMs: 3_000 }, new SystemHardwareProbe());
}

/** Streams a long reply and kills `worker` at its first piece; the pieces that came before the reply failed. */
async function killMidReply(client: OpenAiClient, worker: StartedWorker): Promise<number> {
  let pieces = 0;
  try {
    for await (const delta of client.stream({ messages: [{ role: 'user', content: 'Tell a long story.' }], maxTokens: 4000, seed: 1 })) {
      if (delta.kind === 'text' && ++pieces === 1) worker.process.kill('SIGKILL');
    }
  } catch {
    return pieces;
  }
  assert.fail(`the reply ended normally after ${pieces} pieces, though a worker was killed`);
}

const workersOf = (ws: readonly StartedWorker[]): RpcWorker[] => parseRpcWorkers(ws.map((w) => w.address));

test('a small model loads split across two workers and streams a reply through the runner and its client', async () => {
  const workers = await startWorkers(2);
  const lines: string[] = [];
  const runner = runnerFor(lines);
  try {
    // -lv 4: llama-server then logs where load_tensors put the weights.
    const { server } = await runner.start({ modelPath: tiny, wishes: { contextSize: 512 }, port: 0, extraArgs: ['-lv', '4'], rpcWorkers: workersOf(workers) });
    const report = runner.plan;
    assert.ok(report);
    assert.deepEqual(report.plan.devices.map((d) => d.worker), workers.map((w) => w.address));
    assert.equal(server.args[server.args.indexOf('--rpc') + 1], workers.map((w) => w.address).join(','));
    for (const w of workers) {
      const loaded = lines.find((l) => l.includes(`[${w.address}] model buffer size`));
      assert.ok(loaded && Number(/=\s+([\d.]+) MiB/.exec(loaded)?.[1]) > 0, `weights went to ${w.address}: ${loaded}`);
    }
    let text = '';
    const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, watch: server.watch });
    for await (const delta of client.stream({ messages: [{ role: 'user', content: 'Hello' }], maxTokens: 16, seed: 1 })) {
      if (delta.kind === 'text') text += delta.text;
    }
    assert.ok(text.length > 0, 'a streamed reply');
    // A worker serves one llama-server at a time: planning again now would wait behind this one.
    await assert.rejects(runner.planOnly({ modelPath: tiny, wishes: { contextSize: 512 }, rpcWorkers: workersOf(workers) }), /a worker serves one llama-server at a time/);
  } finally {
    await runner.stop();
    runner.dispose();
  }
});

test('kill one worker mid-reply: the reply ends and the server fails, naming that worker, without a restart loop', async () => {
  const [a, b] = await startWorkers(2);
  assert.ok(a && b);
  const lines: string[] = [];
  const runner = runnerFor(lines);
  const states: ServerState[] = [];
  runner.supervisor.onDidChangeState((s) => states.push(s));
  try {
    const { server } = await runner.start({ modelPath: tiny, wishes: { contextSize: 2048 }, port: 0, extraArgs: [], rpcWorkers: workersOf([a, b]) });
    const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, watch: server.watch });
    assert.ok((await killMidReply(client, b)) > 0, 'the reply had begun');
    const failed = await waitFor('failed', () => states.find((s): s is Extract<ServerState, { kind: 'failed' }> => s.kind === 'failed'));
    assert.match(failed.error, new RegExp(`^RPC worker ${b.address.replace(/\./g, '\\.')} stopped answering\\. llama-server was not restarted`));
    const afterReady = states.slice(states.findIndex((s) => s.kind === 'ready') + 1).map((s) => s.kind);
    assert.deepEqual(afterReady, ['failed'], 'no restart against the dead worker');
    assert.ok(lines.some((l) => /ggml-rpc\.cpp:\d+: Remote RPC server crashed/.test(l)), 'llama.cpp aborted on the lost connection');
    assert.ok(await workerAnswers({ host: '127.0.0.1', port: Number(a.address.split(':')[1]) }), 'the other worker is still up');
  } finally {
    await runner.stop();
    runner.dispose();
  }
});

test('headroom serve --rpc: a worker killed mid-reply ends serve with exit 1 and a last line naming it', async () => {
  const [a, b] = await startWorkers(2);
  assert.ok(a && b);
  const child = spawn(process.execPath, [CLI, 'serve', '--model', tiny, '--ctx', '2048', '--llama-server', located.path, '--rpc', `${a.address},${b.address}`], { env: cliEnv() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'close');
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const { baseUrl, apiKey } = JSON.parse(line) as { baseUrl: string; apiKey: string };
    const client = new OpenAiClient({ baseUrl, apiKey });
    assert.ok((await killMidReply(client, a)) > 0, 'the reply had begun');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 1, stderr);
    const last = stderr.trim().split('\n').at(-1) ?? '';
    assert.match(last, new RegExp(`^headroom serve: RPC worker ${a.address.replace(/\./g, '\\.')} stopped answering`), stderr);
  } finally {
    child.kill('SIGKILL');
  }
});

test('headroom worker: binds 127.0.0.1 by default, prints its address and pid as JSON, and stops on Ctrl+C', async () => {
  const port = await findFreePort();
  const child = spawn(process.execPath, [CLI, 'worker', '--port', String(port), '--llama-server', located.path], { env: cliEnv() });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'close');
  try {
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const info = JSON.parse(line) as { address: string; host: string; port: number; pid: number };
    assert.deepEqual({ address: info.address, host: info.host, port: info.port }, { address: `127.0.0.1:${port}`, host: '127.0.0.1', port });
    assert.ok(await workerAnswers({ host: '127.0.0.1', port }));
    assert.doesNotMatch(stderr, /no authentication/, 'no warning on loopback');
    child.kill('SIGINT');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    assert.equal(await workerAnswers({ host: '127.0.0.1', port }, 500), false, 'the worker stopped with it');
  } finally {
    child.kill('SIGKILL');
  }
});
