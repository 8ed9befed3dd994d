// Downloads against a loopback stand-in for Hugging Face: what a good server gives is kept under its final
// name only once it checks out, and what a lying or failing server gives is not, with a reason, a bounded
// number of tries, and the bytes that came kept in the .partial. `headroom pull` runs as a process (the
// built dist/cli.js) where a test says so.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, runCli, type CliRun } from '../fixtures/cliProcess';
import { DiskFullError, type DiskLayer, SPACE_MARGIN_BYTES } from '../../src/extension/models/diskSpace';
import { DownloadCheckError } from '../../src/extension/models/downloadChecks';
import { DownloadCancelledError, DownloadGaveUpError, type RetryOptions } from '../../src/extension/models/downloadRetries';
import { formatBytes } from '../../src/extension/models/format';
import { type HfConfig, listRepoFiles } from '../../src/extension/models/hfApi';
import { AccessDeniedError } from '../../src/extension/models/http';
import { type DownloadProgress } from '../../src/extension/models/progress';
import { planPull, runPull } from '../../src/extension/models/pull';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { writeSplitModel } from '../unit/modelsFixtures';
import { itemAt } from '../fixtures/itemAt';
import { requireTool } from '../fixtures/requireTool';
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

interface PullTestOptions extends RetryOptions {
  readonly onProgress?: (p: DownloadProgress) => void;
  readonly hf?: HfConfig;
  readonly disk?: DiskLayer;
}

async function pull(ref: string, folder: string, options: PullTestOptions = {}) {
  const h = options.hf ?? hf();
  const plan = await planPull(ref, { folder, hf: h });
  assert.ok(plan);
  const files = await runPull(plan, { retryDelayMs: 10, ...options, folder, hf: h });
  return { plan, files };
}

const sizeOf = async (path: string): Promise<number | undefined> => (await stat(path).catch(() => undefined))?.size;
const cdnRequestsFor = (name: string, since: number) => hub.log.slice(since).filter((r) => r.server === 'cdn' && r.url.endsWith(`/${name}`));

test('listing: the tree API, paginated, files only, with sizes and sha256', async () => {
  hub.pageSize = 2;
  try {
    const files = await listRepoFiles(REPO, hf());
    assert.deepEqual(files.map((f) => f.path), ['README.md', 'tiny-q8_0.gguf', 'sub/tiny-f16.gguf']);
    assert.equal(itemAt(files, 1).size, (await stat(source)).size);
    assert.equal(itemAt(files, 1).sha256, await hub.sha256(source));
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
  assert.equal(itemAt(files, 0).verified, 'sha256');
  const last = itemAt(seen, -1);
  assert.equal(last.receivedBytes, (await stat(source)).size);
  assert.equal(last.totalBytes, (await stat(source)).size);
  assert.ok(!existsSync(`${plan.modelPath}.partial`));
  // Pulling again finds it in place.
  const again = await pull(`hf:${REPO}/tiny-q8_0.gguf`, folder);
  assert.equal(itemAt(again.files, 0).alreadyPresent, true);
});

test('an interrupted connection resumes with a Range request and verifies', async () => {
  const folder = await fresh('interrupted');
  hub.faults.cutAfter = new Map([['tiny-q8_0.gguf', 200_000]]);
  const before = hub.log.length;
  const { plan, files } = await pull(`hf:${REPO}:Q8_0`, folder);
  assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
  assert.equal(itemAt(files, 0).verified, 'sha256');
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
  assert.equal(itemAt(files, 0).resumedFrom, kept);
  assert.equal(itemAt(files, 0).verified, 'sha256');
  assert.deepEqual(await readFile(dest), await readFile(source));
});

test('a server that ignores Range on resume: starts over and still verifies', async () => {
  const folder = await fresh('norange');
  hub.faults.cutAfter = new Map([['tiny-q8_0.gguf', 150_000]]);
  hub.faults.ignoreRange = true;
  try {
    const { plan, files } = await pull(`hf:${REPO}:Q8_0`, folder);
    assert.deepEqual(await readFile(plan.modelPath), await readFile(source));
    assert.equal(itemAt(files, 0).verified, 'sha256');
  } finally {
    hub.faults.ignoreRange = false;
  }
});

test('a wrong size or hash upstream: nothing under the final name; a size the server disagrees on is refused before any byte', async () => {
  const repo = 'tester/Broken-GGUF';
  const size = (await stat(source)).size;
  hub.addFile(repo, 'big-Q8_0.gguf', { diskPath: source, listedSize: size + 4096 });
  hub.addFile(repo, 'bad-Q4_0.gguf', { diskPath: source, listedSha256: 'f'.repeat(64) });
  const folder = await fresh('broken');
  await assert.rejects(pull(`hf:${repo}:Q8_0`, folder), new RegExp(`size check: the server sends ${size} bytes, the hub lists ${size + 4096}`));
  await assert.rejects(pull(`hf:${repo}:Q4_0`, folder), (err: unknown) => err instanceof DownloadCheckError && err.check === 'sha256' && /sha256 check: got [0-9a-f]{64}, the hub lists f{64}/.test(err.message));
  assert.deepEqual((await readdir(join(folder, 'tester/Broken-GGUF'))).sort(), ['bad-Q4_0.gguf.partial'], 'the bytes that came are kept, under .partial only');
  // The .partial is whole and wrong: pulling again downloads it again from the start, and fails the same way.
  const since = hub.log.length;
  await assert.rejects(pull(`hf:${repo}:Q4_0`, folder), /sha256 check/);
  assert.deepEqual(cdnRequestsFor('bad-Q4_0.gguf', since).map((r) => r.range), [undefined]);
});

test('a split model downloads every part, with one progress over all of them', async () => {
  const repo = 'tester/Split-GGUF';
  const parts = await writeSplitModel(join(dir, 'src/split'), 'Split-Q8_0');
  hub.addFile(repo, 'Split-Q8_0-00001-of-00002.gguf', { diskPath: itemAt(parts, 0) });
  hub.addFile(repo, 'Split-Q8_0-00002-of-00002.gguf', { diskPath: itemAt(parts, 1) });
  const folder = await fresh('split');
  const seen: DownloadProgress[] = [];
  const { plan, files } = await pull(`hf:${repo}:Q8_0`, folder, { onProgress: (p) => seen.push(p) });
  assert.equal(files.length, 2);
  assert.match(plan.modelPath, /Split-Q8_0-00001-of-00002\.gguf$/);
  const total = (await stat(itemAt(parts, 0))).size + (await stat(itemAt(parts, 1))).size;
  assert.equal(itemAt(seen, -1).receivedBytes, total);
  assert.ok(seen.every((p) => p.totalBytes === total));
  for (const [i, f] of files.entries()) assert.deepEqual(await readFile(f.path), await readFile(itemAt(parts, i)));
});

test('a plain URL (no listing, no hash) is checked by its GGUF header, not by the Content-Length it came with', async () => {
  hub.addFile('plain', 'model.gguf', { diskPath: source });
  const folder = await fresh('url');
  const { plan, files } = await pull(`${hub.cdnUrl}/plain/model.gguf`, folder);
  assert.equal(plan.modelPath, join(folder, 'model.gguf'));
  assert.equal(itemAt(files, 0).verified, 'header');
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

// ---- Servers that lie: the file stays .partial, with the reason, and a pull after it does not say "already here".


/** `headroom pull ARGS` as a process. */
function cliPull(...args: string[]): Promise<CliRun> {
  return runCli(['pull', ...args], { ...process.env, HEADROOM_CACHE_DIR: join(dir, 'cache'), HF_ENDPOINT: hub.baseUrl });
}

/** A copy of the source model served at `${cdnUrl}/plain/<name>`. */
function plainUrl(name: string): string {
  hub.addFile('plain', name, { diskPath: source });
  return `${hub.cdnUrl}/plain/${name}`;
}

/** The failed pull left nothing under the final name, its bytes in the .partial (when some came), and said why. */
async function assertKeptAsPartial(run: CliRun, dest: string, why: RegExp, partialBytes?: number): Promise<void> {
  assert.notEqual(run.code, 0, `a failed pull exits non-zero: ${run.stderr}`);
  assert.equal(run.stdout, '', 'no model path printed');
  assert.match(run.stderr, why);
  assert.doesNotMatch(run.stderr, /already here|downloaded \(/);
  assert.ok(!existsSync(dest), 'nothing under the final name');
  if (partialBytes !== undefined) assert.equal(await sizeOf(`${dest}.partial`), partialBytes, 'what came is kept in the .partial');
}

describe('headroom pull from a server that lies', { skip: requireTool('the CLI bundle', existsSync(CLI), `${CLI} is not built (npm run build)`) }, () => {
  test('Content-Length: 1000 for a larger file: the 1000 bytes stay .partial, the header check says truncated; a second pull fails again', async () => {
    const url = plainUrl('lying.gguf');
    hub.faults.lyingLength = new Map([['lying.gguf', 1000]]);
    try {
      const folder = await fresh('lying');
      const dest = join(folder, 'lying.gguf');
      const first = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(first, dest, /lying\.gguf failed the GGUF header check: .*the file has 1000 bytes/, 1000);
      const second = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(second, dest, /failed the GGUF header check/, 1000);
    } finally {
      hub.faults.lyingLength = undefined;
    }
  });

  test('the same lie about a listed hf: file is refused by the listed size, before a byte is kept', async () => {
    const repo = 'tester/Lying-GGUF';
    hub.addFile(repo, 'lying-Q8_0.gguf', { diskPath: source });
    hub.faults.lyingLength = new Map([['lying-Q8_0.gguf', 1000]]);
    try {
      const folder = await fresh('lying-hf');
      const run = await cliPull(`hf:${repo}:Q8_0`, '--dir', folder);
      const dest = join(folder, repo, 'lying-Q8_0.gguf');
      await assertKeptAsPartial(run, dest, new RegExp(`size check: the server sends 1000 bytes, the hub lists ${(await stat(source)).size}`));
      assert.ok(!existsSync(`${dest}.partial`), 'no byte came');
    } finally {
      hub.faults.lyingLength = undefined;
    }
  });

  test('no Content-Length and a close halfway: half a file stays .partial (truncated), and resumes once the server behaves', async () => {
    const url = plainUrl('cut.gguf');
    const half = Math.floor((await stat(source)).size / 2);
    hub.faults.closeWithoutLength = new Map([['cut.gguf', half]]);
    const folder = await fresh('cut');
    const dest = join(folder, 'cut.gguf');
    try {
      const run = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(run, dest, /cut\.gguf failed the GGUF header check: .*truncated/, half);
      const again = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(again, dest, /failed the GGUF header check/);
    } finally {
      hub.faults.closeWithoutLength = undefined;
    }
    const since = hub.log.length;
    const fixed = await cliPull(url, '--dir', folder);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(fixed.stdout.trim(), dest);
    assert.deepEqual(cdnRequestsFor('cut.gguf', since).map((r) => r.range), [`bytes=${half}-`], 'resumed where the .partial ends');
    assert.deepEqual(await readFile(dest), await readFile(source));
  });

  test('an HTML page instead of the model: kept as .partial only, named as HTML; not resumed from once the server behaves', async () => {
    const url = plainUrl('page.gguf');
    hub.faults.htmlPage = new Set(['page.gguf']);
    const folder = await fresh('html');
    const dest = join(folder, 'page.gguf');
    try {
      const run = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(run, dest, /page\.gguf failed the GGUF header check: not a GGUF file: .*HTML/);
      assert.match(await readFile(`${dest}.partial`, 'utf8'), /^<!DOCTYPE html>/);
      const again = await cliPull(url, '--dir', folder);
      await assertKeptAsPartial(again, dest, /HTML/);
    } finally {
      hub.faults.htmlPage = undefined;
    }
    const since = hub.log.length;
    const fixed = await cliPull(url, '--dir', folder);
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(cdnRequestsFor('page.gguf', since).map((r) => r.range), [undefined], 'an HTML .partial is started over, not resumed');
    assert.deepEqual(await readFile(dest), await readFile(source));
  });
});

test('only a file that checks out counts as already here: a wrong file under the final name is downloaded again and replaced', async () => {
  const url = plainUrl('stale.gguf');
  const folder = await fresh('stale');
  const dest = join(folder, 'stale.gguf');
  await mkdir(folder, { recursive: true });
  await writeFile(dest, (await readFile(source)).subarray(0, 1000)); // what the old downloader left after a lying server
  const { files } = await pull(url, folder);
  assert.equal(itemAt(files, 0).alreadyPresent, false);
  assert.deepEqual(await readFile(dest), await readFile(source));
  const listed = join(folder, REPO, 'tiny-q8_0.gguf');
  await mkdir(join(folder, REPO), { recursive: true });
  await writeFile(listed, await readFile(join(dir, 'src/tiny-f16.gguf'))); // a valid GGUF, but not the size the hub lists
  const hfPull = await pull(`hf:${REPO}:Q8_0`, folder);
  assert.equal(itemAt(hfPull.files, 0).alreadyPresent, false);
  assert.equal(itemAt(hfPull.files, 0).verified, 'sha256');
  assert.deepEqual(await readFile(listed), await readFile(source));
});

// ---- Servers that never finish: bounded tries and time, then an error, with the .partial kept.

test('a server that always closes early (and ignores Range): at most maxTries requests without progress, then an error', { timeout: 30_000 }, async () => {
  const url = plainUrl('closing.gguf');
  hub.faults.cutEvery = new Map([['closing.gguf', 100_000]]);
  hub.faults.ignoreRange = true;
  const folder = await fresh('closing');
  const since = hub.log.length;
  try {
    await assert.rejects(pull(url, folder, { maxTries: 3, maxStallMs: 60_000 }), (err: unknown) => {
      assert.ok(err instanceof DownloadGaveUpError, String(err));
      assert.match(err.message, /3 tries in a row added nothing/);
      assert.match(err.hint ?? '', /kept in .*closing\.gguf\.partial/);
      return true;
    });
  } finally {
    hub.faults.cutEvery = undefined;
    hub.faults.ignoreRange = false;
  }
  // The first request brought up to 100,000 new bytes; after the furthest one, three that brought nothing new.
  assert.ok(cdnRequestsFor('closing.gguf', since).length <= 4, `${cdnRequestsFor('closing.gguf', since).length} requests`);
  assert.ok(!existsSync(join(folder, 'closing.gguf')));
  assert.ok(((await sizeOf(join(folder, 'closing.gguf.partial'))) ?? 0) > 0);
});

test('a server that goes silent mid-body: the connection is dropped after idleMs and the download resumes', { timeout: 30_000 }, async () => {
  const url = plainUrl('silent-once.gguf');
  hub.faults.silentAfter = new Map([['silent-once.gguf', { bytes: 150_000, every: false }]]);
  const folder = await fresh('silent-once');
  const since = hub.log.length;
  const { files } = await pull(url, folder, { idleMs: 1000 });
  assert.equal(itemAt(files, 0).verified, 'header');
  const ranges = cdnRequestsFor('silent-once.gguf', since).map((r) => r.range);
  assert.equal(ranges.length, 2);
  assert.equal(ranges[1], 'bytes=150000-');
  assert.deepEqual(await readFile(itemAt(files, 0).path), await readFile(source));
});

test('a server that always goes silent: the time bound ends it, well before maxTries, with the .partial kept', { timeout: 30_000 }, async () => {
  const url = plainUrl('silent.gguf');
  hub.faults.silentAfter = new Map([['silent.gguf', { bytes: 50_000, every: true }]]);
  const folder = await fresh('silent');
  const since = hub.log.length;
  try {
    await assert.rejects(pull(url, folder, { maxTries: 1000, maxStallMs: 1000, idleMs: 200 }), (err: unknown) => {
      assert.ok(err instanceof DownloadGaveUpError, String(err));
      assert.match(err.message, /no progress for 1s/);
      return true;
    });
  } finally {
    hub.faults.silentAfter = undefined;
  }
  assert.ok(cdnRequestsFor('silent.gguf', since).length < 1000, 'the time bound, not the count, ended it');
  assert.equal(await sizeOf(join(folder, 'silent.gguf.partial')), 50_000);
  assert.ok(!existsSync(join(folder, 'silent.gguf')));
});

// ---- Disk full (simulated free space): the statfs and write layer are injected; nothing here fills a real disk.

const enospc = (): NodeJS.ErrnoException => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

/** A disk with `free` bytes, which another program fills up once this download has written `fillAt` bytes. */
function simulatedDisk(free: number, fillAt = Infinity): DiskLayer {
  let written = 0;
  return {
    statfs: async () => ({ bavail: free, bsize: 1 }),
    write: async (handle, chunk) => {
      if (written >= fillAt) free = 0;
      if (chunk.byteLength > free) throw enospc();
      await handle.write(chunk);
      written += chunk.byteLength;
      free -= chunk.byteLength;
    },
  };
}

test('disk full (simulated free space): refused before a byte is fetched, counting the .partial already there', async () => {
  const folder = await fresh('full');
  const size = (await stat(source)).size;
  const dest = join(folder, REPO, 'tiny-q8_0.gguf');
  const kept = 250_000;
  await mkdir(join(folder, REPO), { recursive: true });
  await writeFile(`${dest}.partial`, (await readFile(source)).subarray(0, kept)); // what an interrupted pull leaves
  const since = hub.log.length;
  await assert.rejects(pull(`hf:${REPO}:Q8_0`, folder, { disk: simulatedDisk(100_000) }), (err: unknown) => {
    assert.ok(err instanceof DiskFullError, String(err));
    assert.ok(err.message.includes(`disk full: ${formatBytes(size - kept + SPACE_MARGIN_BYTES)} needed, ${formatBytes(100_000)} free on /`), err.message);
    assert.match(err.hint ?? '', /resumes/);
    return true;
  });
  assert.equal(cdnRequestsFor('tiny-q8_0.gguf', since).length, 0, 'nothing fetched');
  assert.equal(await sizeOf(`${dest}.partial`), kept, 'the .partial is kept for the resume');
  assert.ok(!existsSync(dest));
});

test('disk full (simulated free space) mid-download: ENOSPC ends it at once with the space numbers; the .partial resumes later', async () => {
  const folder = await fresh('filling');
  const dest = join(folder, REPO, 'tiny-q8_0.gguf');
  const since = hub.log.length;
  await assert.rejects(pull(`hf:${REPO}:Q8_0`, folder, { disk: simulatedDisk(10e9, 200_000) }), (err: unknown) => {
    assert.ok(err instanceof DiskFullError, String(err));
    assert.match(err.message, /disk full: [\d.]+ [kMG]?B needed, 0 B free on \//);
    return true;
  });
  assert.equal(cdnRequestsFor('tiny-q8_0.gguf', since).length, 1, 'a full disk is not retried');
  const kept = (await sizeOf(`${dest}.partial`)) ?? 0;
  assert.ok(kept >= 200_000, `kept ${kept}`);
  assert.ok(!existsSync(dest));
  const { files } = await pull(`hf:${REPO}:Q8_0`, folder);
  assert.equal(itemAt(files, 0).resumedFrom, kept);
  assert.equal(itemAt(files, 0).verified, 'sha256');
});

test('disk full (simulated free space) for a split model: all parts are counted before the first one is fetched', async () => {
  const repo = 'tester/BigSplit-GGUF';
  const parts = await writeSplitModel(join(dir, 'src/bigsplit'), 'BigSplit-Q8_0');
  hub.addFile(repo, 'BigSplit-Q8_0-00001-of-00002.gguf', { diskPath: itemAt(parts, 0) });
  hub.addFile(repo, 'BigSplit-Q8_0-00002-of-00002.gguf', { diskPath: itemAt(parts, 1) });
  const both = (await stat(itemAt(parts, 0))).size + (await stat(itemAt(parts, 1))).size;
  const folder = await fresh('bigsplit');
  const since = hub.log.length;
  // Room for either part, with the margin, but not for both.
  const free = Math.max((await stat(itemAt(parts, 0))).size, (await stat(itemAt(parts, 1))).size) + SPACE_MARGIN_BYTES;
  await assert.rejects(pull(`hf:${repo}:Q8_0`, folder, { disk: simulatedDisk(free) }), (err: unknown) => {
    assert.ok(err instanceof DiskFullError, String(err));
    assert.ok(err.message.includes(`disk full: ${formatBytes(both + SPACE_MARGIN_BYTES)} needed`), err.message);
    return true;
  });
  assert.equal(hub.log.slice(since).filter((r) => r.server === 'cdn').length, 0, 'no part fetched');
});
