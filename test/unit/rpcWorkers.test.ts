import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRpcWorker, parseRpcWorkers, rpcArgValue, RpcWorkerSpecError } from '../../src/extension/endpoints/rpcWorkers';
import { bindWarning, checkWorkerHost, rpcWorkerArgs } from '../../src/extension/llama/rpcWorker';
import { rpcWorkersOf, workersLostMessage } from '../../src/extension/llama/rpcFailure';
import { checkExtraArgs } from '../../src/extension/llama/serverArgs';
import { classifyFailure } from '../../src/extension/llama/logClassifier';
import { HeadroomError } from '../../src/extension/common/errors';
import { parseCli } from '../../src/extension/cli/options';
import { cleanEnv } from '../../src/extension/llama/childEnv';
import type { PlanReport } from '../../src/extension/memory/planReport';
import { planJson } from '../../src/extension/present/planJson';
import { renderPlanText } from '../../src/extension/present/planText';
import { gpuLayersText, planDevices } from '../../src/extension/present/planView';
import { gpuReport } from './planFixtures';

/** The RpcWorkerSpecError `text` gives (fails the test when it parses). */
function specError(text: string): RpcWorkerSpecError {
  try {
    parseRpcWorkers(text);
  } catch (err) {
    if (err instanceof RpcWorkerSpecError) return err;
    throw err;
  }
  assert.fail(`"${text}" was accepted`);
}

test('rpc workers: host:port, a host name, a budget in MiB, spaces and empty entries in a list', () => {
  assert.deepEqual(parseRpcWorker('10.0.0.5:50052'), { host: '10.0.0.5', port: 50052 });
  assert.deepEqual(parseRpcWorker(' gpu-box.lan:50053=20000 '), { host: 'gpu-box.lan', port: 50053, budgetMiB: 20000 });
  const list = parseRpcWorkers('127.0.0.1:50052=12000, 127.0.0.1:50053,');
  assert.deepEqual(list, [{ host: '127.0.0.1', port: 50052, budgetMiB: 12000 }, { host: '127.0.0.1', port: 50053 }]);
  assert.equal(rpcArgValue(list), '127.0.0.1:50052,127.0.0.1:50053', 'the budget is Headroom\'s, never passed to llama.cpp');
  assert.deepEqual(parseRpcWorkers(['10.0.0.5:1', '10.0.0.6:65535']).map((w) => w.port), [1, 65535]);
});

test('rpc workers: IPv6, bracketed or not, is refused with the reason (this llama.cpp connects over IPv4 only)', () => {
  for (const text of ['[::1]:50052', '[fe80::1%eth0]:50052=1000', '::1:50052', 'fe80::1:50052']) {
    const err = specError(text);
    assert.match(err.message, /IPv6 address; llama\.cpp's RPC backend connects over IPv4 only/, text);
    assert.match(err.hint ?? '', /host:port/);
  }
});

test('rpc workers: a missing or bad port, a bad host, a bad budget and a repeated address each get a sentence naming the entry', () => {
  const cases: [string, RegExp][] = [
    ['10.0.0.5', /"10\.0\.0\.5" has no host:port/],
    [':50052', /has no host:port/],
    ['10.0.0.5:', /no valid port \(""/],
    ['10.0.0.5:70000', /no valid port \("70000"/],
    ['10.0.0.5:0', /no valid port/],
    ['10.0.0.5:50052x', /no valid port/],
    ['bad host:50052', /neither an IPv4 address nor a host name/],
    ['10.0.0.5:50052=', /budget \(""\) that is not a whole number of MiB/],
    ['10.0.0.5:50052=12GiB', /budget \("12GiB"\)/],
    ['10.0.0.5:50052=0', /budget \("0"\)/],
    ['10.0.0.5:50052,10.0.0.5:50052=100', /"10\.0\.0\.5:50052" is listed twice/],
  ];
  for (const [text, re] of cases) assert.match(specError(text).message, re, text);
});

test('rpc workers: --rpc on the command line is parsed there; a bad one is a usage error before anything starts', () => {
  assert.deepEqual(parseCli(['plan', 'm.gguf', '--rpc', '127.0.0.1:50052=8000']).options.rpcWorkers, [{ host: '127.0.0.1', port: 50052, budgetMiB: 8000 }]);
  assert.deepEqual(parseCli(['plan', 'm.gguf']).options.rpcWorkers, []);
  assert.throws(() => parseCli(['serve', '--rpc', '[::1]:50052']), RpcWorkerSpecError);
});

test('rpc workers: --rpc is Headroom\'s, refused in headroom.extraServerArgs with the setting to use', () => {
  for (const args of [['--rpc', '10.0.0.5:50052'], ['--rpc=10.0.0.5:50052']]) {
    assert.throws(() => checkExtraArgs(args), (err: unknown) => err instanceof HeadroomError && /may not contain --rpc: .*set headroom\.rpcWorkers instead/.test(err.message));
  }
});

test('worker: rpc-server arguments in this llama.cpp (-H, -p, -t)', () => {
  assert.deepEqual(rpcWorkerArgs({ host: '127.0.0.1', port: 50052 }), ['-H', '127.0.0.1', '-p', '50052']);
  assert.deepEqual(rpcWorkerArgs({ host: '192.168.1.20', port: 50100, threads: 8 }), ['-H', '192.168.1.20', '-p', '50100', '-t', '8']);
});

test('worker: loopback binds quietly; any other address warns that the protocol has no authentication', () => {
  assert.equal(bindWarning('127.0.0.1'), undefined);
  for (const host of ['0.0.0.0', '192.168.1.20']) {
    const warning = bindWarning(host) ?? '';
    assert.match(warning, new RegExp(`listens on ${host.replace(/\./g, '\\.')}`));
    assert.match(warning, /no authentication/);
    assert.match(warning, /only on a trusted network/);
  }
});

test('worker: --host must be an IPv4 address (rpc-server binds nothing else)', () => {
  assert.equal(checkWorkerHost('0.0.0.0'), '0.0.0.0');
  assert.equal(checkWorkerHost('192.168.1.20'), '192.168.1.20');
  for (const host of ['::', 'gpu-box.lan', '256.1.1.1', '10.0.0', '']) {
    assert.throws(() => checkWorkerHost(host), (err: unknown) => err instanceof HeadroomError && /not an IPv4 address/.test(err.message), host);
  }
});

test('rpc failure: the workers of a command line, and the sentence that names the lost ones', () => {
  assert.deepEqual(rpcWorkersOf(['--model', 'm', '--rpc', '127.0.0.1:50052,10.0.0.5:50053', '-ngl', '9']).map((w) => w.port), [50052, 50053]);
  assert.deepEqual(rpcWorkersOf(['--model', 'm', '-ngl', '9']), []);
  assert.match(workersLostMessage(['10.0.0.5:50052']), /^RPC worker 10\.0\.0\.5:50052 stopped answering\. llama-server was not restarted/);
  assert.match(workersLostMessage(['a:1', 'b:2']), /^RPC workers a:1, b:2 stopped answering/);
});

// As llama-server of the bundled build printed them when a worker was killed mid-reply, or was down at start.
const SRC = '/root/.cache/headroom/llama.cpp/80fb11ac73e6-cpu/src/ggml/src/ggml-rpc/ggml-rpc.cpp';
const MID_REPLY = [
  "0.00.033.213 I srv    load_model: initializing, n_slots = 4, n_ctx_slot = 2048, kv_unified = 'true'",
  `${SRC}:569: Remote RPC server crashed or returned malformed response`,
  '#2  0x0000560b8a7cdc48 in rpc_dispatcher::synchronize() ()',
  '58\t../sysdeps/nptl/libc_start_call_main.h: No such file or directory.',
];

test('classifier: a worker lost mid-reply, one down at start and one of another version are RPC failures, not a bad model', () => {
  const lost = classifyFailure(MID_REPLY, { code: null, signal: 'SIGABRT' });
  assert.equal(lost.kind, 'rpc-worker');
  assert.match(lost.message, /An RPC worker stopped answering/);
  const down = classifyFailure([`${SRC}:547: Failed to connect to 127.0.0.1:50053`], { code: null, signal: 'SIGABRT' });
  assert.equal(down.kind, 'rpc-worker');
  assert.match(down.message, /^RPC worker 127\.0\.0\.1:50053 stopped answering/);
  const version = classifyFailure(['E RPC server version mismatch: 5.0.0', `${SRC}:550: RPC handshake failed for 10.0.0.5:50052`], { code: 134, signal: null });
  assert.equal(version.kind, 'rpc-worker');
  assert.match(version.message, /10\.0\.0\.5:50052 runs another version/);
});

test('classifier: "Failed to connect" from anything but ggml-rpc is not an RPC failure', () => {
  assert.notEqual(classifyFailure(['common_download: Failed to connect to huggingface.co port 443'], { code: 1, signal: null }).kind, 'rpc-worker');
});

test('plan view: a worker is a device with its address and its own margin (its free memory less its budget); a local GPU after it keeps its model name', () => {
  const report: PlanReport = {
    ...gpuReport,
    marginMiB: 1024,
    plan: {
      ...gpuReport.plan,
      source: 'dry-run',
      devices: [
        { name: 'RPC0', worker: '10.0.0.5:50052', marginMiB: 4000, totalMiB: 24000, freeMiB: 24000, modelMiB: 19000, contextMiB: 500, computeMiB: 300 },
        { name: 'CUDA0', totalMiB: 12288, freeMiB: 11988, modelMiB: 9000, contextMiB: 500, computeMiB: 266 },
      ],
    },
  };
  const [worker, gpu, ram] = planDevices(report);
  assert.equal(worker?.label, 'RPC0 worker 10.0.0.5:50052');
  assert.equal(worker?.marginMiB, 4000);
  assert.equal(worker?.overMiB, 0, '19800 MiB within the 20000 MiB budget');
  assert.equal(gpu?.label, 'CUDA0 RTX 3060');
  assert.equal(gpu?.marginMiB, 1024);
  assert.equal(ram?.label, 'RAM');
  assert.equal(gpuLayersText(report.plan), '33/33 layers on RPC workers and GPUs');
  const json = planJson(report) as { devices: Record<string, unknown>[] };
  assert.deepEqual([json.devices[0]?.worker, json.devices[0]?.budgetMiB], ['10.0.0.5:50052', 20000]);
  assert.equal('worker' in (json.devices[1] ?? {}), false);
  assert.match(renderPlanText(report), /^RPC0 worker 10\.0\.0\.5:50052 +23\.4 GiB \[/m);
});

test('rpc workers: LLAMA_ARG_RPC in the user\'s environment never reaches a llama.cpp program', () => {
  assert.equal(cleanEnv({ LLAMA_ARG_RPC: '10.6.6.6:50052', PATH: '/bin' }).LLAMA_ARG_RPC, undefined);
});
