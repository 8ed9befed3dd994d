// processAlive: a running process is alive; an ended one that nobody has reaped yet (a zombie) is not.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { processAlive } from '../../src/extension/common/processAlive';
import { requireTool } from '../fixtures/requireTool';

test('a zombie (ended, not reaped) is not alive; its parent, running, is', { skip: requireTool('Linux /proc', process.platform === 'linux', 'zombies are read from /proc') }, async () => {
  // sh starts a child that ends 0.3 s later, after sh has become `sleep`, which never reaps it: a zombie until the parent ends.
  const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    for (let i = 0; i < 150 && !/\) Z /.test(readFileSync(`/proc/${zombie}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(readFileSync(`/proc/${zombie}/stat`, 'utf8'), /\) Z /, 'the child ended and was not reaped');
    assert.doesNotThrow(() => process.kill(zombie, 0), 'the kernel still has its pid');
    assert.equal(processAlive(zombie), false);
    assert.equal(processAlive(parent.pid), true);
  } finally {
    parent.kill('SIGKILL');
  }
});
