// One llama-server per model and settings, shared by every window: real llama-server, real processes for
// the windows where a window's own death matters (reload, race, reaper), real files and locks.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ServerSharing, type SharingOptions } from '../../src/extension/llama/shared/serverSharing';
import { readSharedState } from '../../src/extension/llama/shared/sharedState';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { checkModelFile } from '../../src/extension/llama/createSupervisor';
import { itemAt } from '../fixtures/itemAt';
import { isAlive, llamaServersWith, RecordingLauncher, tempDir, waitFor, withTinyModel } from './realServer';

const WINDOW = join(__dirname, 'sharedServerWindow.js');
const CONFIG = { contextSize: 512, port: 0, extraArgs: [] as string[] };

interface WindowReport {
  pid: number;
  baseUrl: string;
  ms: number;
}

/** A window in its own process (see sharedServerWindow.ts); resolves with its report and the process. */
function openWindow(args: string[]): Promise<{ report: WindowReport; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WINDOW, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve({ report: JSON.parse(line) as WindowReport, child });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      if (!out.includes('\n')) reject(new Error(`window exited ${code}: ${err}`));
    });
  });
}

/** A stand-in for another window's extension host: a live process whose pid holds a lease. */
function otherHost(): ChildProcess {
  return spawn('/bin/sleep', ['600'], { stdio: 'ignore' });
}

function windowSupervisor(binary: string, options: SharingOptions, launcher = new RecordingLauncher()): { supervisor: Supervisor; sharing: ServerSharing; launcher: RecordingLauncher } {
  const sharing = new ServerSharing(options);
  const supervisor = new Supervisor({
    launcher,
    resolveBinary: () => Promise.resolve({ path: binary }),
    checkModel: checkModelFile,
    sharing,
    stopGraceMs: 3_000,
  });
  return { supervisor, sharing, launcher };
}

async function modelsStatus(baseUrl: string, apiKey: string): Promise<number> {
  return (await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('shared llama-server', { timeout: 180_000 }, () => {
  const fx = withTinyModel('shared');
  const hosts: ChildProcess[] = [];
  /** The tiny model under another name: a server of its own, told apart from the other tests' by its path. */
  const modelCopy = async (name: string): Promise<string> => {
    const path = join(fx.dir, `${name}.gguf`);
    await copyFile(fx.model, path);
    return path;
  };
  after(() => {
    for (const h of hosts) h.kill('SIGKILL');
    killAll(llamaServersWith(fx.dir));
  });

  test('a second window attaches to the first one\'s server: same pid, nothing launched, the key works and is in no file but the 0600 key file', async () => {
    const dir = tempDir('shared-attach');
    const host = otherHost();
    hosts.push(host);
    const a = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0 });
    const b = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0, pid: host.pid });
    const first = await a.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'same');
    const t0 = performance.now();
    const second = await b.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'same');
    const attachMs = performance.now() - t0;
    process.stdout.write(`# attach to a ready shared server: ${attachMs.toFixed(0)} ms\n`);
    assert.equal(second.pid, first.pid);
    assert.equal(second.baseUrl, first.baseUrl);
    assert.equal(b.launcher.started.length, 0, 'the second window launched nothing');
    assert.equal(await modelsStatus(second.baseUrl, second.apiKey), 200);
    assert.equal(llamaServersWith(fx.model).length, 1);

    const files = readdirSync(dir.path);
    const stateFile = itemAt(files.filter((f) => f.endsWith('.json')), 0);
    const state = readFileSync(join(dir.path, stateFile), 'utf8');
    assert.ok(!state.includes(first.apiKey), 'the state file holds no key');
    assert.ok(!readFileSync(`/proc/${first.pid}/cmdline`, 'utf8').includes(first.apiKey), 'argv holds no key');
    assert.equal(statSync(join(dir.path, 'api-key')).mode & 0o777, 0o600);
    assert.equal(statSync(dir.path).mode & 0o777 & ~0o700, 0, 'the servers folder is not readable by others');

    // A different setting is another identity: its own server.
    const c = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0 });
    const other = await c.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'different');
    assert.notEqual(other.pid, first.pid);
    await c.supervisor.stop();

    // Stop in one window while the other holds a lease: it lets go, the server keeps serving.
    await a.supervisor.stop();
    assert.equal(a.supervisor.state.kind, 'stopped');
    assert.ok(isAlive(first.pid), 'the other window still uses it');
    assert.equal(await modelsStatus(second.baseUrl, second.apiKey), 200);
    // The last window out ends it (no reaper here) and removes the record.
    host.kill('SIGKILL');
    await waitFor('the other host gone', () => !isAlive(host.pid ?? 0));
    const lastOne = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0 });
    await lastOne.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'same');
    await b.supervisor.stop();
    await lastOne.supervisor.stop();
    await waitFor('the server ended', () => !isAlive(first.pid));
    assert.equal(await readSharedState(join(dir.path, stateFile)), undefined);
    dir.dispose();
  });

  test('a crash of a shared server: one window restarts it, the other attaches to that restart (one new pid, one server)', async () => {
    const dir = tempDir('shared-crash');
    const host = otherHost();
    hosts.push(host);
    const a = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0 });
    const b = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0, pid: host.pid });
    const first = await a.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'crash');
    await b.supervisor.start({ modelPath: fx.model, ...CONFIG }, undefined, 'crash');
    process.kill(first.pid, 'SIGKILL');
    const [ra, rb] = await Promise.all(
      [a, b].map((w) => waitFor('ready again', () => (w.supervisor.server && w.supervisor.server.pid !== first.pid ? w.supervisor.server : undefined), 60_000)),
    );
    assert.equal(ra?.pid, rb?.pid, 'both windows use the same restarted server');
    assert.equal(a.launcher.started.length + b.launcher.started.length, 2, 'one launch at first, one restart');
    assert.deepEqual(llamaServersWith(fx.model).filter((p) => p !== first.pid).length, 1);
    host.kill('SIGKILL');
    await waitFor('the other host gone', () => !isAlive(host.pid ?? 0));
    await b.supervisor.stop();
    await a.supervisor.stop();
    await waitFor('the server ended', () => llamaServersWith(dir.path).length === 0 && !isAlive(ra?.pid ?? 0));
    dir.dispose();
  });

  test('Restart in one window replaces the shared server for every window: the other attaches to the new one', async () => {
    const dir = tempDir('shared-restart');
    const host = otherHost();
    hosts.push(host);
    const model = await modelCopy('restart');
    const a = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0 });
    const b = windowSupervisor(fx.binary, { dir: dir.path, idleStopMs: () => 0, pid: host.pid });
    const first = await a.supervisor.start({ modelPath: model, ...CONFIG }, undefined, 'restart');
    await b.supervisor.start({ modelPath: model, ...CONFIG }, undefined, 'restart');
    a.sharing.endForEveryone = true;
    const restarted = await a.supervisor.start({ modelPath: model, ...CONFIG }, undefined, 'restart');
    assert.notEqual(restarted.pid, first.pid);
    assert.ok(!isAlive(first.pid), 'the old server ended');
    const followed = await waitFor('the other window on the new server', () => (b.supervisor.server?.pid === restarted.pid ? b.supervisor.server : undefined), 60_000);
    assert.equal(followed.pid, restarted.pid);
    assert.deepEqual(llamaServersWith(model), [restarted.pid]);
    host.kill('SIGKILL');
    await waitFor('the other host gone', () => !isAlive(host.pid ?? 0));
    await b.supervisor.stop();
    await a.supervisor.stop();
    await waitFor('the server ended', () => !isAlive(restarted.pid));
    dir.dispose();
  });

  test('a window that dies leaves the server up; a new window (a reload) re-attaches to the same pid', async () => {
    const dir = tempDir('shared-reload');
    const first = await openWindow([dir.path, fx.binary, fx.model, 'exit', '0']);
    await waitFor('the first window gone', () => first.child.exitCode !== null);
    assert.ok(isAlive(first.report.pid), 'the server outlived its window');
    const again = await openWindow([dir.path, fx.binary, fx.model, 'close', '0']);
    process.stdout.write(`# re-attach after a reload (new process, start() to ready): ${again.report.ms} ms\n`);
    assert.equal(again.report.pid, first.report.pid);
    assert.equal(llamaServersWith(fx.model).length, 1);
    killAll([first.report.pid]);
    await waitFor('the server ended', () => !isAlive(first.report.pid));
    dir.dispose();
  });

  test('two windows starting at once start one server', async () => {
    const dir = tempDir('shared-race');
    const model = await modelCopy('race');
    const [one, two] = await Promise.all([openWindow([dir.path, fx.binary, model, 'close', '0']), openWindow([dir.path, fx.binary, model, 'close', '0'])]);
    assert.equal(one.report.pid, two.report.pid);
    assert.equal(llamaServersWith(model).length, 1);
    killAll([one.report.pid]);
    await waitFor('the server ended', () => !isAlive(one.report.pid));
    await waitFor('both windows exited', () => one.child.exitCode !== null && two.child.exitCode !== null);
    dir.dispose();
  });

  test('the reaper stops the server once no window has held a lease for the idle time, and not while one does', async () => {
    const dir = tempDir('shared-idle');
    const model = await modelCopy('idle');
    const holder = await openWindow([dir.path, fx.binary, model, 'hold', '1500']);
    const pid = holder.report.pid;
    await new Promise((r) => setTimeout(r, 2_500));
    assert.ok(isAlive(pid), 'a window holds a lease: the idle time has not begun');
    holder.child.stdin?.end();
    await waitFor('the window closed', () => holder.child.exitCode !== null);
    assert.ok(isAlive(pid), 'closing the window let go without stopping it');
    await waitFor('the reaper stopped it', () => !isAlive(pid), 20_000);
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.endsWith('.json')), [], 'and removed its record');
    dir.dispose();
  });

  test('idle stop 0 keeps the server running after the last window left', async () => {
    const dir = tempDir('shared-keep');
    const model = await modelCopy('keep');
    const w = await openWindow([dir.path, fx.binary, model, 'close', '0']);
    await waitFor('the window closed', () => w.child.exitCode !== null);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.ok(isAlive(w.report.pid));
    killAll([w.report.pid]);
    await waitFor('the server ended', () => !isAlive(w.report.pid));
    dir.dispose();
  });
});

