import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, realServer, tempDir, tinyModel, waitFor } from './realServer';

/** A stand-in host: starts a supervised server, prints its own pid and the server's, then waits to be killed. */
function hostScript(binary: string, model: string): string {
  return `
    const { supervisorFor } = require(${JSON.stringify(join(__dirname, 'realServer.js'))});
    supervisorFor(${JSON.stringify(binary)}).start({ modelPath: ${JSON.stringify(model)}, contextSize: 256, port: 0, extraArgs: [] })
      .then((s) => console.log(process.pid + ' ' + s.pid), (e) => { console.error(e); process.exit(1); });
    setInterval(() => {}, 1000);`;
}

/** The host's pid and the server's, once the host printed them. */
function pidsFrom(stdout: NodeJS.ReadableStream): Promise<{ host: number; server: number }> {
  let out = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  return waitFor(
    'the host and server pids',
    () => {
      const m = /^(\d+) (\d+)$/m.exec(out);
      return m ? { host: Number(m[1]), server: Number(m[2]) } : undefined;
    },
    60_000,
  );
}

/** The process state letter from /proc/<pid>/stat (R, S, Z...), or undefined once the pid is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

test('llama-server does not outlive a host process that is killed without stopping it', async () => {
  const binary = (await realServer()).path;
  const dir = tempDir('reaper');
  try {
    const model = await tinyModel(dir.path);
    const host = spawn(process.execPath, ['-e', hostScript(binary, model)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const { server } = await pidsFrom(host.stdout);
    assert.equal(isAlive(server), true);
    host.kill('SIGKILL');
    await waitFor('llama-server to be reaped', () => !isAlive(server), 15_000);
  } finally {
    dir.dispose();
  }
});

test('llama-server does not outlive a killed host that stays a zombie (its own parent never reaps it)', async () => {
  const binary = (await realServer()).path;
  const dir = tempDir('reaper-zombie');
  const script = join(dir.path, 'host.js');
  writeFileSync(script, hostScript(binary, await tinyModel(dir.path)));
  let server: number | undefined;
  // sh starts the host in the background, then becomes `sleep`, which never waits for its children: the host,
  // once killed, stays a zombie as long as sleep runs, and a zombie still passes kill(pid, 0).
  const parent = spawn('sh', ['-c', '"$0" "$1" & exec sleep 600', process.execPath, script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pids = await pidsFrom(parent.stdout);
    server = pids.server;
    assert.equal(isAlive(server), true);
    process.kill(pids.host, 'SIGKILL');
    await waitFor('the host to be a zombie', () => procState(pids.host) === 'Z', 10_000);
    await waitFor('llama-server to be reaped', () => !isAlive(pids.server), 15_000);
    assert.equal(procState(pids.host), 'Z', 'the host was still an unreaped zombie all along');
  } finally {
    // sleep's end lets init reap the zombie; a server the watchdog missed is killed here, not left behind.
    parent.kill('SIGKILL');
    if (server !== undefined && isAlive(server)) process.kill(server, 'SIGKILL');
    dir.dispose();
  }
});
