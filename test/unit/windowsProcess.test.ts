// Ending processes on Windows, run on Linux with the platform injected: there is no process group, and
// child.kill ends one process, so Headroom ends a tree with `taskkill /PID n /T /F`. The taskkill here is a
// fake on a temp PATH that logs its arguments and kills the pid it is given (the real one also takes the tree).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuildCancelledError, buildDir, buildLlama } from '../../src/extension/llama/llamaBuild';
import { NodeProcessLauncher, startReaper } from '../../src/extension/llama/processLauncher';
import { inTempDir, loggedCalls, windowsWithTaskkill } from '../fixtures/fakeTools';
import { itemAt } from '../fixtures/itemAt';

const SOURCE = { commit: '0123456789abcdef0123456789abcdef01234567', bundle: 'C:\\bundles\\llama.cpp.bundle' };


test('Windows launcher: kill runs taskkill /PID <pid> /T /F, whatever the signal, and the child ends', { timeout: 30_000 }, async () => {
  await inTempDir('win-kill', async (root) => {
    const { host, log } = windowsWithTaskkill(root);
    const proc = await new NodeProcessLauncher(host).launch('/bin/sleep', ['300'], { env: {} });
    proc.kill('SIGTERM');
    const exit = await proc.exited;
    assert.equal(exit.signal, 'SIGKILL', 'ended by the fake taskkill, not by a SIGTERM of its own');
    assert.deepEqual(loggedCalls(log), [`/PID ${proc.pid} /T /F`]);
  });
});

test('Windows build: cancelling ends the running cmake through taskkill and rejects typed', { timeout: 30_000 }, async () => {
  await inTempDir('win-cancel', async (root) => {
    const { host, log, bin } = windowsWithTaskkill(root, {
      'git': 'exit 0',
      'cl': 'exit 0',
      // The step: says it runs, then waits to be ended (exec, so the pid taskkill is given is the one waiting).
      'cmake': "echo 'scripted cmake running'\nexec /bin/sleep 300",
    });
    const dir = buildDir(join(root, 'cache'), SOURCE.commit, 'cpu');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'CMakeLists.txt'), '');
    const abort = new AbortController();
    const onLine = (line: string): void => {
      if (line === 'scripted cmake running') abort.abort();
    };
    const build = buildLlama({ source: SOURCE, backend: 'cpu', cacheRoot: join(root, 'cache'), signal: abort.signal, onLine, host: { ...host, arch: 'x64', root, env: { PATH: bin } } });
    await assert.rejects(build, BuildCancelledError);
    assert.match(itemAt(loggedCalls(log), 0), /^\/PID \d+ \/T \/F$/);
  });
});

test('Windows watchdog: when the parent dies without stopping the child, the reaper ends the child with taskkill', { timeout: 30_000 }, async () => {
  await inTempDir('win-reaper', async (root) => {
    const { host, log } = windowsWithTaskkill(root);
    const parent = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    const childExit = once(child, 'exit');
    await Promise.all([once(parent, 'spawn'), once(child, 'spawn')]);
    assert.ok(parent.pid !== undefined && child.pid !== undefined);
    startReaper(parent.pid, child.pid, host);
    parent.kill('SIGKILL');
    const [, signal] = (await childExit) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL', 'ended by the fake taskkill the reaper ran');
    assert.equal(itemAt(loggedCalls(log), 0), `/PID ${child.pid} /T /F`);
  });
});
