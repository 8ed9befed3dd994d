import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MissingToolError, requireTool, underCi } from '../fixtures/requireTool';

test('requireTool: a tool that is there gives no skip reason, under CI or not', () => {
  assert.equal(requireTool('Chromium', '/usr/bin/chromium', 'apt-get install chromium', {}), undefined);
  assert.equal(requireTool('Chromium', true, 'apt-get install chromium', { CI: 'true' }), undefined);
});

test('requireTool: a missing tool outside CI is a skip reason that says how to get it', () => {
  assert.equal(requireTool('llama-fit-params', undefined, 'this llama.cpp build has none', {}), 'llama-fit-params is missing: this llama.cpp build has none');
  assert.equal(requireTool('Chromium', false, 'apt-get install chromium', { CI: 'false' }), 'Chromium is missing: apt-get install chromium');
  assert.equal(requireTool('Chromium', '', 'apt-get install chromium', {}), 'Chromium is missing: apt-get install chromium');
});

test('requireTool: a missing tool under CI=true throws, so the test fails instead of passing as skipped', () => {
  assert.throws(
    () => requireTool('code-server', false, 'npm run test:e2e installs it', { CI: 'true' }),
    (err: unknown) => err instanceof MissingToolError && err.tool === 'code-server' && /code-server is missing: npm run test:e2e installs it \(CI=true/.test(err.message),
  );
});

test('underCi: only CI=true counts', () => {
  assert.equal(underCi({ CI: 'true' }), true);
  for (const CI of [undefined, '', 'false', '0']) assert.equal(underCi({ CI }), false, String(CI));
});
