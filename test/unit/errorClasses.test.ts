// Each error class is recognised where it is thrown, by class: the callers that branch on them
// (commands.ts ignores a cancel, the download command asks for a token on AccessDeniedError, the
// downloader gives up at once on a redirect loop) no longer match message text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, HeadroomError } from '../../src/extension/common/errors';
import { Supervisor, type ResolvedBinary } from '../../src/extension/llama/supervisor';
import { downloadFile } from '../../src/extension/models/downloader';
import { DownloadCancelledError } from '../../src/extension/models/downloadRetries';
import { AccessDeniedError, HttpStatusError, TooManyRedirectsError } from '../../src/extension/models/http';
import { planPull } from '../../src/extension/models/pull';
import { ScriptedLauncher } from './scriptedServer';

let server: Server;
let base: string;
let dir: string;
const hits = new Map<string, number>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-errors-'));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/loop') res.writeHead(302, { location: '/loop' });
    else if (path.startsWith('/api/')) res.writeHead(401);
    else if (path === '/denied') res.writeHead(403);
    else res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('CancelledError: a start that stop() overtakes rejects with it', async () => {
  let binaryFound: (binary: ResolvedBinary) => void = () => undefined;
  let resolving: () => void = () => undefined;
  const asked = new Promise<void>((r) => (resolving = r));
  const supervisor = new Supervisor({
    launcher: new ScriptedLauncher(() => ({ serve: true })),
    checkModel: async () => undefined,
    resolveBinary: () => {
      resolving();
      return new Promise((r) => (binaryFound = r));
    },
  });
  const starting = supervisor.start({ modelPath: '/models/m.gguf', contextSize: 0, port: 0, extraArgs: [] });
  await asked;
  await supervisor.stop();
  binaryFound({ path: 'llama-server' });
  await assert.rejects(starting, CancelledError);
  assert.equal(supervisor.state.kind, 'stopped');
  supervisor.dispose();
});

test('DownloadCancelledError is a CancelledError, and the .partial stays', async () => {
  const dest = join(dir, 'cancelled.gguf');
  await writeFile(`${dest}.partial`, 'half');
  const abort = new AbortController();
  abort.abort();
  await assert.rejects(downloadFile({ url: `${base}/missing`, dest, signal: abort.signal }), (err: unknown) => {
    assert.ok(err instanceof DownloadCancelledError && err instanceof CancelledError);
    assert.match(err.hint ?? '', /resumes/);
    return true;
  });
  assert.equal(hits.get('/missing') ?? 0, 0, 'nothing was requested');
  assert.ok(existsSync(`${dest}.partial`));
});

test('TooManyRedirectsError: a redirect loop fails at once instead of being retried', async () => {
  hits.delete('/loop');
  await assert.rejects(downloadFile({ url: `${base}/loop`, dest: join(dir, 'loop.gguf'), maxTries: 3, retryDelayMs: 1 }), TooManyRedirectsError);
  assert.equal(hits.get('/loop'), 11, 'one request and its ten redirects');
});

test('AccessDeniedError: 401 from the listing and 403 from a download; other statuses are plain HttpStatusErrors', async () => {
  await assert.rejects(planPull('hf:owner/Private-GGUF', { folder: dir, hf: { baseUrl: base } }), (err: unknown) => {
    assert.ok(err instanceof AccessDeniedError);
    assert.equal(err.status, 401);
    assert.match(err.hint ?? '', /token/);
    return true;
  });
  await assert.rejects(downloadFile({ url: `${base}/denied`, dest: join(dir, 'denied.gguf') }), (err: unknown) => err instanceof AccessDeniedError && err.status === 403);
  await assert.rejects(downloadFile({ url: `${base}/missing`, dest: join(dir, 'missing.gguf') }), (err: unknown) => {
    assert.ok(err instanceof HttpStatusError && err instanceof HeadroomError);
    assert.ok(!(err instanceof AccessDeniedError));
    assert.equal(err.status, 404);
    return true;
  });
});
