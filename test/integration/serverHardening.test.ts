// The allow-list of extra server arguments against this build's own --help, the cleaned environment of
// every llama.cpp child, and CORS, with the real llama-server and llama-fit-params.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { run } from '../../src/extension/common/run';
import { ALLOWED_FLAG_GROUPS } from '../../src/extension/llama/allowedServerFlags';
import { readBinaryVersion } from '../../src/extension/llama/binaryVersion';
import { cleanEnv } from '../../src/extension/llama/childEnv';
import { dryRun } from '../../src/extension/llama/dryRun';
import { listBuildDevices } from '../../src/extension/llama/listDevices';
import { checkExtraArgs } from '../../src/extension/llama/serverArgs';
import { realServer, supervisorFor, withTinyModel } from './realServer';

/** The flags a `--help` text lists: the first column of each unindented line (descriptions start at column 40). */
function helpFlags(help: string): Set<string> {
  const flags = new Set<string>();
  for (const line of help.split('\n')) {
    if (!line.startsWith('-')) continue;
    const column = line.length > 40 && line.slice(38, 40) === '  ' ? line.slice(0, 40) : line;
    for (const token of column.split(/[\s,]+/)) {
      if (/^--?[A-Za-z][\w.-]*$/.test(token)) flags.add(token);
    }
  }
  return flags;
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A raw HTTP request, so the Origin header goes out exactly as a browser would send it. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sets environment variables for the duration of `body`, then restores what was there. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('server hardening with the real llama.cpp build', () => {
  const fx = withTinyModel('hardening');

  test('every allowed extraServerArgs spelling exists in this build\'s llama-server --help', async () => {
    const help = await run(fx.binary, ['--help'], { env: cleanEnv(process.env) });
    assert.equal(help.code, 0);
    const known = helpFlags(help.stdout + help.stderr);
    assert.ok(known.has('--host') && known.has('--top-k') && known.size > 150, `the help was read (${known.size} flags)`);
    const missing = ALLOWED_FLAG_GROUPS.flatMap((g) => g.flags.flatMap((f) => f.names)).filter((name) => !known.has(name));
    assert.deepEqual(missing, [], 'allowed flags this build does not know (renamed or removed upstream?)');
  });

  test('LLAMA_ARG_HF_REPO and LLAMA_ARG_LOG_FILE in our environment reach no child: version, devices, dry run and a start succeed, no log file', async () => {
    const fitParams = (await realServer()).fitParams;
    assert.ok(fitParams, 'the bundled build has llama-fit-params');
    const log = join(fx.dir, 'llama.log');
    await withEnv({ LLAMA_ARG_HF_REPO: 'x/y', LLAMA_ARG_LOG_FILE: log }, async () => {
      assert.ok(await readBinaryVersion(fx.binary), '--version answered');
      assert.deepEqual(await listBuildDevices(fx.binary), [], 'a CPU build lists no GPU');
      const measured = await dryRun(fitParams, fx.model, ['-ngl', '0', '--ctx-size', '512']);
      assert.ok(measured.fits && measured.fit?.gpuLayers !== undefined, 'the dry run fitted the model');
      const supervisor = supervisorFor(fx.binary);
      try {
        const server = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs: [] });
        const environ = readFileSync(`/proc/${server.pid}/environ`, 'utf8').split('\0');
        assert.deepEqual(environ.filter((e) => /^LLAMA_ARG_(HF_REPO|LOG_FILE)=/.test(e)), []);
        const models = await send(`${server.baseUrl}/v1/models`, 'GET', { authorization: `Bearer ${server.apiKey}` });
        assert.equal(models.status, 200);
      } finally {
        await supervisor.stop();
      }
    });
    assert.equal(existsSync(log), false, 'no child wrote LLAMA_ARG_LOG_FILE');
  });

  test('CORS: another origin is not echoed and gets no credentials; without the key it gets 401; allowed extra args start', async () => {
    const supervisor = supervisorFor(fx.binary);
    try {
      const extraArgs = checkExtraArgs(['--temp=0.1', '--top_k', '20', '-np', '1', '--no-context-shift']);
      const server = await supervisor.start({ modelPath: fx.model, contextSize: 512, port: 0, extraArgs });
      const own = `http://127.0.0.1:${new URL(server.baseUrl).port}`;
      const evil = 'https://evil.example';
      const url = `${server.baseUrl}/v1/chat/completions`;

      const preflight = await send(url, 'OPTIONS', {
        origin: evil,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      });
      assert.equal(preflight.headers['access-control-allow-origin'], own, 'only the server\'s own origin is allowed');
      assert.equal(preflight.headers['access-control-allow-credentials'], 'false');

      const body = JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 });
      const noKey = await send(url, 'POST', { origin: evil, 'content-type': 'application/json' }, body);
      assert.equal(noKey.status, 401);
      assert.notEqual(noKey.headers['access-control-allow-origin'], evil);

      // Even a page that somehow had the key could not read the answer: a browser requires its own origin here.
      const withKey = await send(url, 'POST', { origin: evil, 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` }, body);
      assert.equal(withKey.status, 200);
      assert.equal(withKey.headers['access-control-allow-origin'], own);
    } finally {
      await supervisor.stop();
    }
  });
});
