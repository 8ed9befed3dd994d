import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dryRun } from '../../src/extension/llama/dryRun';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { readOomKillCount } from '../../src/extension/llama/oomKills';
import type { ServerState } from '../../src/extension/llama/serverState';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { ScriptedLauncher } from '../unit/scriptedServer';
import { realServer, waitFor, withTinyModel } from './realServer';

const fx = withTinyModel('runner');

const runnerWith = (launcher?: ScriptedLauncher): ModelRunner =>
  new ModelRunner({ cacheRoot: fx.dir, sourceFrom: fx.dir, llamaServerPath: () => fx.binary, launcher, stopGraceMs: 2000 }, new SystemHardwareProbe());

test('a planned start: the plan is measured by the dry run, its args reach llama-server, the command line names the real port', async () => {
  const runner = runnerWith();
  const states: ServerState['kind'][] = [];
  runner.supervisor.onDidChangeState((s) => states.push(s.kind));
  try {
    const { server, changes } = await runner.start({ modelPath: fx.model, wishes: { contextSize: 512 }, port: 0, extraArgs: [] });
    const steps = states.filter((k, i) => k !== states[i - 1]);
    assert.deepEqual(steps.slice(0, 3), ['locating', 'planning', 'starting'], `the views say what happens: ${steps.join(' -> ')}`);
    assert.equal(steps.at(-1), 'ready');
    const report = runner.plan;
    assert.ok(report);
    assert.equal(report.plan.source, 'dry-run');
    const fitParams = (await realServer()).fitParams;
    assert.ok(fitParams);
    const measured = await dryRun(fitParams, fx.model, [...report.plan.args, '--ctx-size', String(report.plan.contextSize)]);
    assert.deepEqual(report.plan.host, measured.host, 'the plan carries the dry run\'s numbers');
    assert.ok(measured.fit, 'llama.cpp printed its own fit');
    assert.deepEqual(report.llamaCppFit, measured.fit, 'the report carries llama.cpp\'s own fit, as parsed');
    assert.equal(report.llamaCppFit?.contextSize, 512);
    assert.deepEqual(changes, []);
    for (const arg of report.plan.args) assert.ok(server.args.includes(arg), `${arg} reached llama-server`);
    assert.ok(report.commandLine.includes(`--port ${new URL(server.baseUrl).port}`));
    assert.equal(server.contextSize, 512);
  } finally {
    await runner.stop();
    runner.dispose();
  }
});

test('scripted failing server (fake: failed to mmap): the error says how much RAM is missing and which quant would fit', async () => {
  const launcher = new ScriptedLauncher(() => ({
    fail: ['llama_model_load: error loading model: failed to mmap /m.gguf: Cannot allocate memory', 'srv    load_model: failed to load model'],
  }));
  const runner = runnerWith(launcher);
  try {
    await assert.rejects(runner.start({ modelPath: fx.model, wishes: { contextSize: 512 }, port: 0, extraArgs: [] }), (err: Error) => {
      assert.match(err.message, /could not be memory-mapped/);
      assert.match(err.message, /of RAM/);
      assert.match(err.message, /A Q8_0 file of this model \(about [\d.]+ GB\) would fit|Even a 2-bit/);
      return true;
    });
    assert.ok(launcher.launches.length >= 2, 'the ladder tried smaller settings first');
  } finally {
    runner.dispose();
  }
});

/** Starts the tiny model, kills llama-server with SIGKILL, and returns what the runner said and did until it ran again. */
async function killAndWatchRestart(runner: ModelRunner, beforeKill = (): void => {}): Promise<{ crashed: ServerState; changes: string[]; before: readonly string[]; after: readonly string[] }> {
  const { server } = await runner.start({ modelPath: fx.model, wishes: { contextSize: 512 }, port: 0, extraArgs: [] });
  const seen: ServerState[] = [];
  const changes: string[] = [];
  runner.supervisor.onDidChangeState((s) => seen.push(s));
  runner.onDidRecover((change) => changes.push(change));
  beforeKill();
  process.kill(server.pid, 'SIGKILL');
  const crashed = await waitFor('crashed', () => seen.find((s) => s.kind === 'crashed'));
  const again = await waitFor('ready again', () => runner.supervisor.server, 60_000);
  return { crashed, changes, before: server.args, after: again.args };
}

const withoutPort = (args: readonly string[]): string[] => args.filter((a, i) => a !== '--port' && args[i - 1] !== '--port');

test('kill -9 from outside while serving: said as such, restarted with the same settings, no step down the ladder', async () => {
  assert.notEqual(readOomKillCount(), undefined, 'this Linux reports oom_kill in /proc/vmstat');
  const runner = runnerWith();
  try {
    const { crashed, changes, before, after } = await killAndWatchRestart(runner);
    assert.ok(crashed.kind === 'crashed');
    assert.match(crashed.reason, /killed \(SIGKILL\) by another program or a user, not for lack of memory/);
    assert.deepEqual(changes, []);
    assert.deepEqual(withoutPort(after), withoutPort(before));
  } finally {
    await runner.stop();
    runner.dispose();
  }
});

test('SIGKILL by the OOM killer (simulated: the kernel counter is injected, a real OOM kill would hurt this machine) restarts one rung down', async () => {
  let oomKills = 7;
  const runner = new ModelRunner(
    { cacheRoot: fx.dir, sourceFrom: fx.dir, llamaServerPath: () => fx.binary, stopGraceMs: 2000, oomKillCount: () => oomKills },
    new SystemHardwareProbe(),
  );
  try {
    const { crashed, changes, before, after } = await killAndWatchRestart(runner, () => oomKills++);
    assert.ok(crashed.kind === 'crashed');
    assert.match(crashed.reason, /out-of-memory killer/);
    assert.equal(changes.length, 1, `one change announced: ${JSON.stringify(changes)}`);
    assert.notDeepEqual(withoutPort(after), withoutPort(before), 'the restart runs with less');
  } finally {
    await runner.stop();
    runner.dispose();
  }
});
