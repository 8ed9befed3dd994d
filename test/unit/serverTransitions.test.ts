import { createServer } from 'node:net';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTransition, SERVER_TRANSITIONS, ServerTransitionError, type ServerStateKind } from '../../src/extension/llama/serverState';
import { findFreePort } from '../../src/extension/llama/ports';
import type { ManagedProcess, ProcessLauncher } from '../../src/extension/llama/processLauncher';
import { RestartPolicy } from '../../src/extension/llama/restartPolicy';
import type { LaunchPlanner, Supervisor, SupervisorDeps } from '../../src/extension/llama/supervisor';
import { RecoveryPolicy, type PlanFor } from '../../src/extension/runner/recovery';
import { CUDA_OOM, ScriptedLauncher, scriptedSupervisor, type Script } from './scriptedServer';
import { untilState } from './stateEvents';

const KINDS = Object.keys(SERVER_TRANSITIONS) as ServerStateKind[];
const config = { modelPath: '/models/m.gguf', port: 0, extraArgs: [], contextSize: 0 };
const BAD_MODEL = ["gguf_init_from_reader: invalid magic characters: 'xxxx'"];
const OOM_WHILE_SERVING = ['CUDA error: out of memory', 'current device: 0, in function ggml_cuda_mul_mat'];

/** Every kind -> kind move the scripted scenarios below make, as the views see them. */
const seen = new Set<string>();

function scripted(script: Script, deps: Partial<SupervisorDeps> = {}): { sup: Supervisor; launcher: ScriptedLauncher } {
  const launcher = new ScriptedLauncher(script);
  const sup = scriptedSupervisor(launcher, deps);
  let from: ServerStateKind = sup.state.kind;
  sup.onDidChangeState((s) => {
    seen.add(`${from} -> ${s.kind}`);
    from = s.kind;
  });
  return { sup, launcher };
}

/** A resolveBinary that reports build progress twice, then finishes (or fails). */
function building(fail = false): SupervisorDeps['resolveBinary'] {
  return async (onProgress) => {
    onProgress(10, 'compiling');
    onProgress(60, 'linking');
    if (fail) throw new Error('cmake failed');
    return { path: 'llama-server' };
  };
}

/** A planner whose plan for 33 GPU layers is stepped down by the real recovery policy. */
const planFor: PlanFor = async (overrides) => {
  const gpuLayers = overrides.gpuLayers ?? 33;
  const shape = { gpuLayers, totalLayers: 33, cpuMoeLayers: 0, isMoe: false, ubatch: 512, cacheType: 'f16' as const, contextSize: 4096 };
  return { planArgs: ['-ngl', String(gpuLayers)], contextSize: 4096, shape };
};

/** Stops the supervisor the moment it shows `kind` (from inside the state event). */
function stopAt(sup: Supervisor, kind: ServerStateKind): Promise<void> {
  return new Promise((resolve) => {
    const sub = sup.onDidChangeState((s) => {
      if (s.kind !== kind) return;
      sub.dispose();
      void sup.stop().then(resolve);
    });
  });
}

const cancelled = /cancelled/;

test('scripted supervisor: locate() alone, with and without a build', async () => {
  const { sup } = scripted(() => ({ serve: true }), { resolveBinary: building() });
  await sup.locate();
  assert.equal(sup.state.kind, 'stopped');
  const plain = scripted(() => ({ serve: true }));
  await plain.sup.locate();
  assert.equal(plain.sup.state.kind, 'stopped');
});

test('scripted supervisor: starts with and without a build and a planner, then stops', async () => {
  for (const [deps, planner] of [
    [{}, undefined],
    [{ resolveBinary: building() }, undefined],
    [{ resolveBinary: building() }, new RecoveryPolicy(planFor)],
    [{}, new RecoveryPolicy(planFor)],
  ] as const) {
    const { sup } = scripted(() => ({ serve: true }), deps);
    await sup.start(config, planner);
    assert.equal(sup.state.kind, 'ready');
    await sup.stop();
    assert.equal(sup.state.kind, 'stopped');
  }
});

test('scripted supervisor: loading (503 and load progress) -> ready; stop while loading', async () => {
  const { sup, launcher } = scripted(() => ({ serve: true, loading: true }));
  const loading = untilState(sup, 'loading');
  const started = sup.start(config);
  await loading;
  launcher.printAll(['llama_model_loader: loaded meta data with 20 key-value pairs', 'load_tensors: loading model tensors, this can take a while']);
  launcher.finishLoading();
  await started;
  await sup.stop();

  const second = scripted(() => ({ serve: true, loading: true }));
  const stopped = stopAt(second.sup, 'loading');
  await assert.rejects(second.sup.start(config), cancelled);
  await stopped;
  assert.equal(second.sup.state.kind, 'stopped');
});

test('scripted supervisor: failures while locating, building, planning, starting, loading', async () => {
  const badModel = scripted(() => ({ serve: true }), { checkModel: async () => Promise.reject(new Error('not a GGUF file')) });
  await assert.rejects(badModel.sup.start(config), /not a GGUF/);
  assert.equal(badModel.sup.state.kind, 'failed');
  // failed -> locating: a new start after a failure.
  await assert.rejects(badModel.sup.start(config), /not a GGUF/);

  const badBuild = scripted(() => ({ serve: true }), { resolveBinary: building(true) });
  await assert.rejects(badBuild.sup.start(config), /cmake failed/);

  const badPlan: LaunchPlanner = { prepare: async () => Promise.reject(new Error('no plan')), stepDown: () => undefined, giveUp: (e) => e };
  await assert.rejects(scripted(() => ({ serve: true })).sup.start(config, badPlan), /no plan/);

  await assert.rejects(scripted(() => ({ fail: BAD_MODEL })).sup.start(config), /could not load the model/);

  const { sup, launcher } = scripted(() => ({ serve: true, loading: true }));
  const loading = untilState(sup, 'loading');
  const started = sup.start(config, new RecoveryPolicy(planFor));
  await loading;
  // llama.cpp refuses a file that is not GGUF and exits 1; a SIGABRT would be an assertion, said as such.
  launcher.crashAll(BAD_MODEL, { code: 1, signal: null });
  await assert.rejects(started, /could not load the model/);
  assert.equal(sup.state.kind, 'failed');
});

test('scripted supervisor: out of memory while loading re-plans one step down (from starting and from loading)', async () => {
  const fromStarting = scripted((args) => (args.includes('33') ? { fail: CUDA_OOM } : { serve: true }));
  await fromStarting.sup.start(config, new RecoveryPolicy(planFor));
  await fromStarting.sup.stop();

  const { sup, launcher } = scripted((args) => ({ serve: true, loading: args.includes('33') }));
  const loading = untilState(sup, 'loading');
  const started = sup.start(config, new RecoveryPolicy(planFor));
  await loading;
  launcher.crashAll(CUDA_OOM);
  await started;
  assert.equal(launcher.launches.length, 2);
  await sup.stop();
});

test('scripted supervisor: stop while locating, building, planning, starting', async () => {
  for (const kind of ['locating', 'building', 'planning', 'starting'] as const) {
    const { sup } = scripted(() => ({ serve: true }), { resolveBinary: building() });
    const stopped = stopAt(sup, kind);
    await assert.rejects(sup.start(config, new RecoveryPolicy(planFor)), cancelled);
    await stopped;
    assert.equal(sup.state.kind, 'stopped', `stopped while ${kind}`);
  }
});

test('scripted supervisor: crashes; reload as it was or one step down; stop while crashed; give up after the restart policy', async () => {
  const { sup, launcher } = scripted(() => (launcher.launches.length === 3 ? { fail: BAD_MODEL } : { serve: true }));
  await sup.start(config, new RecoveryPolicy(planFor));
  // ready -> crashed -> starting -> ready (not about memory).
  const again = untilState(sup, 'ready');
  launcher.crashAll(['GGML_ASSERT(x) failed']);
  await again;
  // ready -> crashed -> planning -> starting, and the third launch fails to load: crashed ... -> failed.
  const failed = untilState(sup, 'failed');
  launcher.crashAll(OOM_WHILE_SERVING);
  await failed;

  const second = scripted(() => ({ serve: true }));
  await second.sup.start(config);
  const stopped = stopAt(second.sup, 'crashed');
  second.launcher.crashAll(['GGML_ASSERT(x) failed']);
  await stopped;
  assert.equal(second.launcher.launches.length, 1, 'no reload after the stop');

  const third = scripted(() => ({ serve: true }), { restartPolicy: new RestartPolicy({ maxCrashes: 1 }) });
  await third.sup.start(config);
  const givenUp = untilState(third.sup, 'failed');
  third.launcher.crashAll(['GGML_ASSERT(x) failed']);
  assert.match((await givenUp).error, /crashed 1 times in a short time and was not restarted/);

  // crashed -> failed: the fixed port was taken by another program before the reload.
  const port = await findFreePort();
  const fourth = scripted(() => ({ serve: true }), { restartPolicy: new RestartPolicy({ baseDelayMs: 200 }) });
  await fourth.sup.start({ ...config, port });
  const crashed = untilState(fourth.sup, 'crashed');
  fourth.launcher.crashAll(['GGML_ASSERT(x) failed']);
  await crashed;
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
  try {
    assert.match((await untilState(fourth.sup, 'failed')).error, new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
  } finally {
    squatter.close();
  }
});

test('scripted supervisor: a crash restart keeps the port and the key; a port taken meanwhile (by the test) moves it', async () => {
  const { sup, launcher } = scripted(() => ({ serve: true }));
  const first = await sup.start(config);
  const again = untilState(sup, 'ready');
  launcher.crashAll(['GGML_ASSERT(x) failed']);
  assert.equal((await again).baseUrl, first.baseUrl);
  assert.equal(sup.server?.apiKey, first.apiKey, 'the same key');
  assert.notEqual(sup.server?.pid, first.pid);

  // The test takes the port the moment the server is down, before the restart (a timer) runs.
  const port = Number(new URL(first.baseUrl).port);
  const squatter = createServer();
  const squatted = new Promise<void>((resolve) => {
    const sub = sup.onDidChangeState((s) => {
      if (s.kind !== 'crashed') return;
      sub.dispose();
      squatter.listen(port, '127.0.0.1', resolve);
    });
  });
  const moved = untilState(sup, 'ready');
  launcher.crashAll(['GGML_ASSERT(x) failed']);
  try {
    await squatted;
    const ready = await moved;
    assert.notEqual(ready.baseUrl, first.baseUrl, 'a new port is announced');
    const now = await sup.whenReady();
    assert.equal(now.baseUrl, ready.baseUrl);
    assert.equal(now.apiKey, first.apiKey);
    assert.equal((await fetch(`${now.baseUrl}/health`)).status, 200, 'a client following the state reaches it');
  } finally {
    squatter.close();
    await sup.stop();
  }
});

test('scripted supervisor: whenReady() waits through a restart and rejects once stopped or failed', async () => {
  const { sup, launcher } = scripted(() => ({ serve: true }), { restartPolicy: new RestartPolicy({ baseDelayMs: 200 }) });
  await assert.rejects(sup.whenReady(), /not running/);
  await sup.start(config);
  let crashed = untilState(sup, 'crashed');
  launcher.crashAll(['GGML_ASSERT(x) failed']);
  await crashed;
  assert.equal((await sup.whenReady()).pid, sup.server?.pid, 'the restarted server');
  crashed = untilState(sup, 'crashed');
  launcher.crashAll(['GGML_ASSERT(x) failed']);
  await crashed;
  const waiting = sup.whenReady();
  await sup.stop();
  await assert.rejects(waiting, /not running/);

  const failing = scripted(() => ({ fail: BAD_MODEL }));
  await assert.rejects(failing.sup.start(config));
  await assert.rejects(failing.sup.whenReady(), /llama-server failed: .*could not load the model/);
});

test('scripted supervisor: a stalled server (scripted: answers nothing) is killed, counted as a crash with reason stalled, and restarted on its port', async () => {
  const { sup, launcher } = scripted(() => ({ serve: true }), { stallTimeoutMs: () => 1_000 });
  const first = await sup.start(config);
  const told = new Promise<string>((resolve) => first.watch.onStall(resolve));
  const crashed = untilState(sup, 'crashed');
  const again = untilState(sup, 'ready');
  launcher.stallAll();
  const crash = await crashed;
  assert.equal(crash.stalled, true);
  assert.equal(crash.signal, 'SIGKILL');
  assert.match(crash.reason, /^Stalled: llama-server stopped responding for 1 s/);
  assert.equal(await told, 'llama-server stopped responding for 1 s; restarted it.');
  assert.equal((await again).baseUrl, first.baseUrl);
  await sup.stop();

  // Counted like a crash: with room for one crash only, a stall is not restarted, and its replies are told so.
  const once = scripted(() => ({ serve: true }), { stallTimeoutMs: () => 1_000, restartPolicy: new RestartPolicy({ maxCrashes: 1 }) });
  const server = await once.sup.start(config);
  const toldOnce = new Promise<string>((resolve) => server.watch.onStall(resolve));
  const failed = untilState(once.sup, 'failed');
  once.launcher.stallAll();
  assert.match((await failed).error, /was not restarted\. Last: Stalled: llama-server stopped responding for 1 s/);
  assert.match(await toldOnce, /^llama-server stopped responding for 1 s and was not restarted/);

  // 0 turns the watch off.
  const off = scripted(() => ({ serve: true }), { stallTimeoutMs: () => 0 });
  assert.equal((await off.sup.start(config)).watch.stallTimeoutMs, 0);
  await off.sup.stop();
});

test('scripted supervisor: a second stop() returns the same promise; an intentional stop is no crash', async () => {
  const { sup, launcher } = scripted(() => ({ serve: true }));
  await sup.start(config);
  const kinds: ServerStateKind[] = [];
  sup.onDidChangeState((s) => kinds.push(s.kind));
  const a = sup.stop();
  const b = sup.stop();
  assert.equal(a, b);
  await a;
  assert.deepEqual(kinds, ['stopped']);
  assert.equal(launcher.launches.length, 1);
  assert.equal(sup.server, undefined);
});

test('scripted supervisor: two starts at once: the later one wins, the earlier one is cancelled', async () => {
  const { sup } = scripted(() => ({ serve: true }));
  await sup.start(config);
  const earlier = sup.start(config);
  const later = sup.start(config);
  await assert.rejects(earlier, cancelled);
  const server = await later;
  assert.equal(sup.server, server);
  await sup.stop();
});

test('scripted supervisor: a start right after stop() launches only once the old process has exited', async () => {
  const inner = new ScriptedLauncher(() => ({ serve: true }));
  const exitedAtLaunch: boolean[] = [];
  const running = new Set<ManagedProcess>();
  // The scripted process takes 100 ms to exit after SIGTERM, like a server finishing its requests.
  const slowToStop: ProcessLauncher = {
    async launch(command, args, options) {
      exitedAtLaunch.push(running.size === 0);
      const proc = await inner.launch(command, args, options);
      running.add(proc);
      void proc.exited.then(() => running.delete(proc));
      return { ...proc, kill: (signal) => void (signal === 'SIGTERM' ? setTimeout(() => proc.kill(signal), 100) : proc.kill(signal)) };
    },
  };
  const { sup } = scripted(() => ({ serve: true }), { launcher: slowToStop, stopGraceMs: 5_000 });
  await sup.start(config);
  const stopping = sup.stop();
  await sup.start(config);
  await stopping;
  assert.deepEqual(exitedAtLaunch, [true, true]);
  await sup.stop();
});

// Runs last: it reads the moves the scenarios above recorded.
test('the transition table: every listed move is accepted, every other pair is rejected, and the scripted scenarios made the listed ones', () => {
  const listed: string[] = [];
  for (const from of KINDS) {
    for (const to of KINDS) {
      const allowed = SERVER_TRANSITIONS[from].includes(to);
      if (allowed) {
        listed.push(`${from} -> ${to}`);
        assert.doesNotThrow(() => checkTransition(from, to), `${from} -> ${to} is listed`);
      } else {
        assert.throws(() => checkTransition(from, to), (err: unknown) => err instanceof ServerTransitionError && err.from === from && err.to === to, `${from} -> ${to} is not listed`);
      }
    }
  }
  for (const move of seen) assert.ok(listed.includes(move), `the supervisor made ${move}, which the table does not list`);
  // Moves to the same kind change only data (a percentage, the process handle) and may show nothing new.
  const notShown = new Set(['starting -> starting']);
  const missing = listed.filter((m) => !seen.has(m) && !notShown.has(m));
  assert.deepEqual(missing, [], 'listed moves no scripted scenario made');
});
