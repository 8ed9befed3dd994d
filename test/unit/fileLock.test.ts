import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../src/extension/common/fileLock';
import { itemAt } from '../fixtures/itemAt';

const WORKER = join(__dirname, 'fileLockWorker.js');
const PROCESSES = 8;
const CYCLES = 25;
/** Only so that a lock that never comes ends the test instead of hanging it. */
const TIMEOUT_MS = 60_000;

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-lock-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function worker(...args: string[]): ChildProcess {
  return spawn(process.execPath, [WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr };
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.ok(child.pid);
  return child.pid;
}

/** Starts a process that takes `lock` and keeps it; resolves once it holds it. */
async function startHolder(lock: string): Promise<{ kill(): Promise<void> }> {
  const holder = worker('hold', lock);
  const exited = exitOf(holder);
  assert.ok(holder.stdout);
  const [held] = (await once(holder.stdout, 'data')) as [Buffer];
  assert.equal(held.toString(), 'held\n');
  return {
    kill: async () => {
      holder.kill('SIGKILL');
      await exited;
    },
  };
}

test(`${PROCESSES} processes x ${CYCLES} cycles on one lock, first left by a killed process: no two hold it at once, no increment lost`, { timeout: TIMEOUT_MS }, async () => {
  const lock = join(dir, 'counter.lock');
  const counter = join(dir, 'counter');
  const log = join(dir, 'holders.log');
  await writeFile(counter, '0');
  await writeFile(log, '');
  // Every process starts by finding a dead holder, so they race to take its lock over.
  await (await startHolder(lock)).kill();
  assert.ok(existsSync(lock));
  const children = Array.from({ length: PROCESSES }, () => worker('count', lock, counter, log, String(CYCLES)));
  const exits = await Promise.all(children.map(exitOf));
  for (const e of exits) assert.equal(e.code, 0, e.stderr);
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  for (let i = 0; i < lines.length; i += 2) {
    const entry = itemAt(lines, i);
    assert.ok(entry.startsWith('+') && lines[i + 1] === `-${entry.slice(1)}`, `holders overlap at log line ${i + 1}: ${lines.slice(i, i + 3).join(' ')}`);
  }
  assert.equal(lines.length, 2 * PROCESSES * CYCLES);
  assert.equal(Number(await readFile(counter, 'utf8')), PROCESSES * CYCLES);
  assert.deepEqual((await readdir(dir)).filter((name) => name.startsWith('counter.lock')), [], 'the lock is gone after the last holder, and nothing was left beside it');
});

test('a live holder is waited for; once it is killed, its lock is taken over', { timeout: TIMEOUT_MS }, async () => {
  const lock = join(dir, 'killed.lock');
  const holder = await startHolder(lock);
  let waiting: () => void = () => undefined;
  const waited = new Promise<void>((r) => (waiting = r));
  const taken = withFileLock(lock, async () => 'mine', waiting);
  await waited;
  await holder.kill();
  assert.equal(await taken, 'mine');
  assert.ok(!existsSync(lock));
});

test('a lock file from an earlier Headroom (a plain file with a pid) is waited for while that process lives, taken over once it is gone', { timeout: TIMEOUT_MS }, async () => {
  const lock = join(dir, 'legacy.lock');
  await writeFile(lock, String(await deadPid()));
  assert.equal(await withFileLock(lock, async () => 'dead holder replaced'), 'dead holder replaced');
  const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  await once(holder, 'spawn');
  await writeFile(lock, String(holder.pid));
  let waiting: () => void = () => undefined;
  const waited = new Promise<void>((r) => (waiting = r));
  const taken = withFileLock(lock, async () => 'live holder waited for', waiting);
  await waited;
  holder.kill('SIGKILL');
  await once(holder, 'exit');
  assert.equal(await taken, 'live holder waited for');
});

test('an empty lock folder (a takeover that died half-way) does not block', { timeout: TIMEOUT_MS }, async () => {
  const lock = join(dir, 'empty.lock');
  await mkdir(lock);
  assert.equal(await withFileLock(lock, async () => 'taken'), 'taken');
  assert.ok(!existsSync(lock));
});

test('the lock is released when the work throws', { timeout: TIMEOUT_MS }, async () => {
  const lock = join(dir, 'throws.lock');
  await assert.rejects(withFileLock(lock, async () => Promise.reject(new Error('work failed'))), /work failed/);
  assert.ok(!existsSync(lock));
  assert.equal(await withFileLock(lock, async () => 'again'), 'again');
});
