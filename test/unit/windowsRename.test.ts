// Renames on Windows fail with EPERM, EBUSY or EACCES while Defender or the search indexer has the file
// open for a moment. renameWithRetry tries again briefly, then says another program holds the file.
// The failing rename is injected: Linux never refuses a rename this way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/extension/chat/storeFiles';
import { FileHeldError, RENAME_RETRY_DELAYS_MS, renameWithRetry } from '../../src/extension/common/renameWithRetry';
import { inTempDir } from '../fixtures/fakeTools';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: operation not permitted, rename`), { code });
}

/** A rename that fails with `codes` in turn (one per call), then renames for real; counts its calls. */
function flakyRename(codes: readonly string[]): { rename: (from: string, to: string) => Promise<void>; calls: () => number } {
  let calls = 0;
  return {
    rename: async (from, to) => {
      const code = codes[calls++];
      if (code !== undefined) throw errno(code);
      await rename(from, to);
    },
    calls: () => calls,
  };
}

const FAST = [1, 2, 4, 8];

test('renameWithRetry: on Windows a rename refused twice (EPERM, then EBUSY) is tried again and succeeds', async () => {
  await inTempDir('rename', async (dir) => {
    const from = join(dir, 'a.partial');
    const to = join(dir, 'a.gguf');
    await writeFileAtomic(from, 'weights');
    const flaky = flakyRename(['EPERM', 'EBUSY']);
    await renameWithRetry(from, to, { platform: 'win32', rename: flaky.rename, delaysMs: FAST });
    assert.equal(flaky.calls(), 3);
    assert.equal(readFileSync(to, 'utf8'), 'weights');
  });
});

test('renameWithRetry: a rename that stays refused ends in FileHeldError, which says another program holds the file', async () => {
  const always = async (): Promise<void> => {
    throw errno('EACCES');
  };
  let calls = 0;
  const counted = async (): Promise<void> => {
    calls++;
    return always();
  };
  await assert.rejects(renameWithRetry('C:\\m\\a.partial', 'C:\\m\\a.gguf', { platform: 'win32', rename: counted, delaysMs: FAST }), (err: unknown) => {
    assert.ok(err instanceof FileHeldError);
    assert.equal(err.message, 'Could not move C:\\m\\a.partial to C:\\m\\a.gguf: another program holds the file open.');
    assert.match(String(err.hint), /antivirus scanner or the search indexer/);
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'EACCES');
    return true;
  });
  assert.equal(calls, FAST.length + 1, 'one try, then one after each wait');
  const total = RENAME_RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
  assert.ok(total >= 1500 && total <= 3000, `the default waits add up to about 2 s: ${total} ms`);
});

test('renameWithRetry: other errors, and these codes off Windows, are passed through at once', async () => {
  for (const [code, platform] of [['ENOENT', 'win32'], ['EPERM', 'linux'], ['EACCES', 'darwin']] as const) {
    const flaky = flakyRename([code, code]);
    await assert.rejects(renameWithRetry('a', 'b', { platform, rename: flaky.rename, delaysMs: FAST }), (err: unknown) => (err as NodeJS.ErrnoException).code === code);
    assert.equal(flaky.calls(), 1, `${code} on ${platform}: not retried`);
  }
  const injected = flakyRename(['EBUSY']);
  await assert.rejects(renameWithRetry('missing-a', 'missing-b', { platform: 'linux', retry: true, rename: injected.rename, delaysMs: FAST }), /ENOENT/);
  assert.equal(injected.calls(), 2, 'retry: true retries on any platform (the second try reached the real rename)');
});

test('writeFileAtomic (chat history) retries a rename Windows refuses, and leaves no temp file behind', async () => {
  await inTempDir('rename-history', async (dir) => {
    const path = join(dir, 'chat.json');
    const flaky = flakyRename(['EPERM', 'EPERM']);
    await writeFileAtomic(path, '{"v":1}', { rename: { platform: 'win32', rename: flaky.rename, delaysMs: FAST } });
    assert.equal(readFileSync(path, 'utf8'), '{"v":1}');
    assert.equal(flaky.calls(), 3);

    const held = flakyRename(Array<string>(FAST.length + 1).fill('EBUSY'));
    await assert.rejects(writeFileAtomic(path, '{"v":2}', { rename: { platform: 'win32', rename: held.rename, delaysMs: FAST } }), FileHeldError);
    assert.equal(readFileSync(path, 'utf8'), '{"v":1}', 'the old file is kept whole');
    assert.deepEqual(readdirSync(dir), ['chat.json'], 'the temp file was removed');
  });
});
