// `headroom serve` across llama-server restarts, run as a user runs it (`node dist/cli.js serve`, a real
// llama-server): the URL and key it printed keep working after a crash restart, and when another program
// took the port meanwhile, the new URL is printed as another JSON line of the same shape.
// Needs the bundles (npm test builds them first).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CLI } from '../fixtures/cliProcess';
import { createInterface } from 'node:readline';
import { healthStatus } from '../../src/extension/llama/serverEndpoints';
import { itemAt } from '../fixtures/itemAt';
import { requireTool } from '../fixtures/requireTool';
import { isAlive, llamaServersWith, waitFor, withTinyModel } from './realServer';


interface Served {
  baseUrl: string;
  apiKey: string;
  pid: number;
}

/** A chat completion with this URL and key answers 200 with some text. */
async function answers({ baseUrl, apiKey }: Served): Promise<boolean> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 }),
  });
  const body = (await res.json()) as { choices?: { message: { content: string } }[] };
  return res.status === 200 && itemAt(body.choices ?? [], 0).message.content.length > 0;
}

describe('headroom serve across restarts', { skip: requireTool('the CLI bundle', existsSync(CLI), `${CLI} is not built (npm run build)`) }, () => {
  const fx = withTinyModel('serve-restart');

  test('kill -9 of its llama-server: the URL and key printed first answer again; the port taken meanwhile: the new URL is printed as a JSON line', async () => {
    const env = { ...process.env, HEADROOM_CACHE_DIR: join(fx.dir, 'cache'), HEADROOM_VERBOSE: '' };
    const child = spawn(process.execPath, [CLI, 'serve', '--model', fx.model, '--llama-server', fx.binary], { env });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const printed: Served[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => printed.push(JSON.parse(line) as Served));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const squatter = createServer();
    try {
      const first = await waitFor('the first JSON line', () => printed[0], 60_000);
      process.kill(first.pid, 'SIGKILL');
      await waitFor('the restart to be said', () => /llama-server restarted: ready at /.test(stderr), 60_000);
      const second = Number(/restarted: ready at \S+ \(pid (\d+)\)/.exec(stderr)?.[1]);
      assert.notEqual(second, first.pid);
      assert.deepEqual(llamaServersWith(fx.model).filter((pid) => pid !== child.pid), [second], 'one llama-server: the new one');
      assert.equal(await healthStatus(first.baseUrl), 200, 'the first URL answers /health');
      assert.ok(await answers(first), 'the first URL and key get a reply');
      await waitFor('the restarted server\'s JSON line', () => printed[1], 60_000);
      assert.deepEqual({ ...itemAt(printed, 1), pid: first.pid }, first, 'the same URL and key, a new pid');

      // The test takes the port as soon as the second crash is said: the restart waits 2 s (the policy's backoff) first.
      const crashes = (): number => (stderr.match(/llama-server crashed/g) ?? []).length;
      process.kill(second, 'SIGKILL');
      await waitFor('the second crash to be said', () => crashes() === 2);
      await new Promise<void>((resolve, reject) => {
        squatter.once('error', reject);
        squatter.listen(Number(new URL(first.baseUrl).port), '127.0.0.1', resolve);
      });
      const moved = await waitFor('a JSON line with the new URL', () => printed[2], 60_000);
      assert.deepEqual(Object.keys(moved), ['baseUrl', 'apiKey', 'pid'], 'the same shape as the first line');
      assert.notEqual(moved.baseUrl, first.baseUrl);
      assert.match(moved.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(moved.apiKey, first.apiKey, 'the same key');
      assert.ok(await answers(moved), 'the new URL gets a reply');

      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      await waitFor('llama-server to be gone', () => !isAlive(moved.pid), 10_000);
    } finally {
      squatter.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
