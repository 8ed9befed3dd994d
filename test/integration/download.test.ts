import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadCancelledError } from '../../src/extension/models/downloadRetries';
import { HfConfig, listRepoFiles } from '../../src/extension/models/hfApi';
import { AccessDeniedError } from '../../src/extension/models/http';
import { DownloadProgress } from '../../src/extension/models/progress';
import { planPull, runPull } from '../../src/extension/models/pull';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { writeSplitModel } from '../unit/modelsFixtures';
import { FakeHub } from './downloadServer';

let hub: FakeHub;
let dir: string;
let source: string;
const REPO = 'tester/Tiny-GGUF';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-dl-'));
  hub = new FakeHub();
  await hub.start();
  source = join(dir, 'src/tiny-q8_0.gguf');
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeModel(source, 'tiny-dense', { type: 'Q8_0', seed: 11 }); // ~600 kB: several chunks
  await writeModel(join(dir, 'src/tiny-f16.gguf'), 'tiny-dense', { type: 'F16', seed: 11 });
  hub.addFile(REPO, 'tiny-q8_0.gguf', { diskPath: source });
  hub.addFile(REPO, 'sub/tiny-f16.gguf', { diskPath: join(dir, 'src/tiny-f16.gguf') });
});

after(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

const hf = (extra: Partial<HfConfig> = {}): HfConfig => ({ baseUrl: hub.baseUrl, ...extra });
const fresh = async (name: string): Promise<string> => {
  const folder = join(dir, name);
  await rm(folder, { recursive: true, force: true });
  return folder;
};

async function pull(ref: string, folder: string, options: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; hf?: HfConfig } = {}) {
  const h = options.hf ?? hf();
  const plan = await planPull(ref, { folder, hf: h });
  assert.ok(plan);
  const files = await runPull(plan, { folder, hf: h, signal: options.signal, onProgress: options.onProgress, retryDelayMs: 10 });
  return { plan, files };
}

test('listing: the tree API, paginated, files only, with sizes and sha256', async () => {
  hub.pageSize = 2;
  try {
    const files = await listRepoFiles(REPO, hf());
    assert.deepEqual(files.map((f) => f.path), ['README.md', 'tiny-q8_0.gguf', 'sub/tiny-f16.gguf']);
    assert.equal(files[1].size, (await stat(source)).size);
    assert.equal(files[1].sha256, await hub.sha256(source));
  } finally {
    hub.pageSize = 1000;
  }
});

test('download through a redirect to another origin: sha256 checked, progress reported, no token leaks', async () => {
  const folder = await fresh('redirect');
  const seen: DownloadProgress[] = [];
  const { plan, files } = await pull(`hf:${REPO}:Q8_0`, folder, { onProgress: (p) => seen.push(p) });
  assert.equal(plan.modelPath, join(folder, 'tester/Tiny-GGUF/tiny-q8_0.gguf'));
  assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
  assert.equal(files[0].verified, 'sha256');
  const last = seen[seen.length - 1];
  assert.equal(last.receivedBytes, (await stat(source)).size);
  assert.equal(last.totalBytes, (await stat(source)).size);
  assert.ok(!existsSync(`${plan.modelPath}.partial`));
  // Pulling again finds it in place.
  const again = await pull(`hf:${REPO}/tiny-q8_0.gguf`, folder);
  assert.equal(again.files[0].alreadyPresent, true);
});

test('an interrupted connection resumes with a Range request and verifies', async () => {
  const folder = await fresh('interrupted');
  hub.faults.cutAfter = new Map([['tiny-q8_0.gguf', 200_000]]);
  const before = hub.log.length;
  const { plan, files } = await pull(`hf:${REPO}:Q8_0`, folder);
  assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
  assert.equal(files[0].verified, 'sha256');
  const ranges = hub.log.slice(before).filter((r) => r.server === 'cdn').map((r) => r.range);
  // The server cut the socket after sending 200,000 bytes; what was in flight may be lost, so the
  // resume starts where the file on disk ends, at most there.
  assert.equal(ranges.length, 2);
  assert.equal(ranges[0], undefined);
  const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
  assert.ok(from > 0 && from <= 200_000, `resumed from ${ranges[1]}`);
});

test('cancel keeps only the .partial; the next pull resumes from it', async () => {
  const folder = await fresh('cancel');
  const abort = new AbortController();
  hub.faults.slowChunk = 16 * 1024;
  try {
    await assert.rejects(
      pull(`hf:${REPO}:Q8_0`, folder, { signal: abort.signal, onProgress: (p) => p.receivedBytes > 100_000 && abort.abort() }),
      DownloadCancelledError,
    );
  } finally {
    hub.faults.slowChunk = undefined;
  }
  const dest = join(folder, 'tester/Tiny-GGUF/tiny-q8_0.gguf');
  assert.ok(!existsSync(dest), 'nothing under the final name');
  const kept = (await stat(`${dest}.partial`)).size;
  assert.ok(kept > 100_000);
  const { files } = await pull(`hf:${REPO}:Q8_0`, folder);
  assert.equal(files[0].resumedFrom, kept);
  assert.equal(files[0].verified, 'sha256');
  assert.deepEqual(await readFile(dest), await readFile(source));
});

test('a server that ignores Range on resume: starts over and still verifies', async () => {
  const folder = await fresh('norange');
  hub.faults.cutAfter = new Map([['tiny-q8_0.gguf', 150_000]]);
  hub.faults.ignoreRange = true;
  try {
    const { plan, files } = await pull(`hf:${REPO}:Q8_0`, folder);
    assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
    assert.equal(files[0].verified, 'sha256');
  } finally {
    hub.faults.ignoreRange = false;
  }
});

test('a wrong size or hash upstream leaves no file under the final name, and no .partial', async () => {
  const repo = 'tester/Broken-GGUF';
  const size = (await stat(source)).size;
  hub.addFile(repo, 'big-Q8_0.gguf', { diskPath: source, listedSize: size + 4096 });
  hub.addFile(repo, 'bad-Q4_0.gguf', { diskPath: source, listedSha256: 'f'.repeat(64) });
  const folder = await fresh('broken');
  await assert.rejects(pull(`hf:${repo}:Q8_0`, folder), /Size check failed/);
  await assert.rejects(pull(`hf:${repo}:Q4_0`, folder), /Checksum failed/);
  const left = await readdir(join(folder, 'tester/Broken-GGUF'));
  assert.deepEqual(left, []);
});

test('a split model downloads every part, with one progress over all of them', async () => {
  const repo = 'tester/Split-GGUF';
  const parts = await writeSplitModel(join(dir, 'src/split'), 'Split-Q8_0');
  hub.addFile(repo, 'Split-Q8_0-00001-of-00002.gguf', { diskPath: parts[0] });
  hub.addFile(repo, 'Split-Q8_0-00002-of-00002.gguf', { diskPath: parts[1] });
  const folder = await fresh('split');
  const seen: DownloadProgress[] = [];
  const { plan, files } = await pull(`hf:${repo}:Q8_0`, folder, { onProgress: (p) => seen.push(p) });
  assert.equal(files.length, 2);
  assert.match(plan.modelPath, /Split-Q8_0-00001-of-00002\.gguf$/);
  const total = (await stat(parts[0])).size + (await stat(parts[1])).size;
  assert.equal(seen[seen.length - 1].receivedBytes, total);
  assert.ok(seen.every((p) => p.totalBytes === total));
  for (const [i, f] of files.entries()) assert.deepEqual(await readFile(f.path), await readFile(parts[i]));
});

test('a plain URL downloads with a size check (no hash offered)', async () => {
  hub.addFile('plain', 'model.gguf', { diskPath: source });
  const folder = await fresh('url');
  const { plan, files } = await pull(`${hub.cdnUrl}/plain/model.gguf`, folder);
  assert.equal(plan.modelPath, join(folder, 'model.gguf'));
  assert.equal(files[0].verified, 'size');
  assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
});

test('a private repo: refused without a token with a hint; with one, the token reaches only the hub', async () => {
  const repo = 'tester/Private-GGUF';
  hub.addFile(repo, 'tiny-Q8_0.gguf', { diskPath: source });
  hub.privateRepos.set(repo, 's3cret');
  const folder = await fresh('private');
  await assert.rejects(pull(`hf:${repo}:Q8_0`, folder), (err: unknown) => err instanceof AccessDeniedError && /token/.test(err.hint ?? ''));
  const before = hub.log.length;
  await pull(`hf:${repo}:Q8_0`, folder, { hf: hf({ token: 's3cret' }) });
  const log = hub.log.slice(before);
  assert.ok(log.filter((r) => r.server === 'hub').every((r) => r.authorization === 'Bearer s3cret'));
  assert.ok(log.filter((r) => r.server === 'cdn').every((r) => r.authorization === undefined));
});

test('a repo without a quant named lists its models for the caller to choose', async () => {
  const folder = await fresh('choose');
  const plan = await planPull(`hf:${REPO}`, { folder, hf: hf() }, async (models) => {
    assert.deepEqual(models.map((m) => m.quant), ['Q8_0', 'F16']);
    return models[1];
  });
  assert.equal(plan?.modelPath, join(folder, 'tester/Tiny-GGUF/sub/tiny-f16.gguf'));
  await assert.rejects(planPull(`hf:${REPO}`, { folder, hf: hf() }), /has 2 GGUF models; name one/);
  await assert.rejects(planPull('hf:tester/Nope-GGUF', { folder, hf: hf() }), /not found/);
});
