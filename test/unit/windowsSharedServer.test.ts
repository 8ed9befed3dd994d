// A shared server on Windows, run on Linux with the platform injected (see windowsProcess.test.ts): it is
// spawned detached with its output in a file and no watchdog, so it outlives the window; the reaper's idle
// stop ends its tree with taskkill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeProcessLauncher } from '../../src/extension/llama/processLauncher';
import { runReaper } from '../../src/extension/llama/shared/reaper';
import { keyHash, sharedPaths, STATE_VERSION, writeSharedState } from '../../src/extension/llama/shared/sharedState';
import { inTempDir, loggedCalls, windowsWithTaskkill } from '../fixtures/fakeTools';


/** The process group and parent of a pid, from /proc. */
function groupAndParent(pid: number): { pgrp: number; ppid: number } {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), pgrp: Number(fields[2]) };
}

/** Processes whose command line names `needle` besides the needle's own process. */
function watchdogsOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === pid) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
      if (argv.includes(String(pid)) && argv.includes('-e')) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

test('Windows, shared launch: detached into its own group, output to the log file, no watchdog to kill it with the window', { timeout: 30_000 }, async () => {
  await inTempDir('win-shared', async (root) => {
    const { host } = windowsWithTaskkill(root);
    const logFile = join(root, 'server.log');
    const proc = await new NodeProcessLauncher(host).launch('/bin/sh', ['-c', 'echo loading model; sleep 300'], { env: {}, logFile });
    const lines: string[] = [];
    proc.onStderrLine((l) => lines.push(l));
    assert.equal(groupAndParent(proc.pid).pgrp, proc.pid, 'its own process group (detached)');
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(watchdogsOf(proc.pid), [], 'no watchdog ends it when the window goes');
    assert.deepEqual(lines, ['loading model'], 'its output arrives from the log file');
    assert.equal(readFileSync(logFile, 'utf8'), 'loading model\n');
    proc.kill('SIGTERM');
    await proc.exited;
  });
});

test('Windows, reaper: after the idle time with no lease it ends the server\'s tree with taskkill /T /F and removes the record', { timeout: 30_000 }, async () => {
  await inTempDir('win-reaper', async (root) => {
    const { host, log } = windowsWithTaskkill(root);
    const server = await new NodeProcessLauncher().launch('/bin/sleep', ['300'], { env: {} });
    const paths = sharedPaths(root, 'id');
    await writeSharedState(paths.state, {
      version: STATE_VERSION,
      identity: 'x',
      pid: server.pid,
      port: 1,
      keyHash: keyHash('k'),
      token: 't',
      modelPath: '/m.gguf',
      binary: 'llama-server.exe',
      args: [],
      idleStopMs: 300,
      startedAt: new Date().toISOString(),
    });
    const end = await runReaper({ paths, token: 't', pid: server.pid, tickMs: 50, host });
    assert.equal(end, 'idle-stop');
    await server.exited;
    assert.deepEqual(loggedCalls(log), [`/PID ${server.pid} /T /F`]);
  });
});
