// scripts/run-tests.mjs on a made-up suite: under CI (CI=true) a skipped test fails the run, elsewhere it is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', '..', 'scripts', 'run-tests.mjs');

/** Runs the script in a folder whose out/test/fake/ holds `tests` (file name -> source). */
function runSuite(tests: Record<string, string>, ci: boolean): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-run-tests-'));
  try {
    mkdirSync(join(dir, 'out', 'test', 'fake'), { recursive: true });
    for (const [name, source] of Object.entries(tests)) writeFileSync(join(dir, 'out', 'test', 'fake', name), source);
    const env: NodeJS.ProcessEnv = { ...process.env, CI: ci ? 'true' : '' };
    // This file runs under node --test, whose context variable would make the inner run report to us instead.
    delete env.NODE_TEST_CONTEXT;
    const result = spawnSync(process.execPath, [SCRIPT, 'fake'], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PASSING = "require('node:test').test('passes', () => {});\n";
const SKIPPING = "const { test, describe } = require('node:test');\ntest('needs a tool', (t) => t.skip('no tool here'));\ndescribe('a suite', { skip: 'no browser' }, () => test('inner', () => {}));\n";

test('run-tests: under CI=true a skipped test or suite fails the run and is named', () => {
  const { status, output } = runSuite({ 'a.test.js': PASSING, 'b.test.js': SKIPPING }, true);
  assert.equal(status, 1, output);
  assert.match(output, /CI=true: 2 test\(s\) skipped/);
  assert.match(output, /needs a tool: no tool here/);
  assert.match(output, /a suite: no browser/);
});

test('run-tests: under CI=true a run with nothing skipped passes', () => {
  const { status, output } = runSuite({ 'a.test.js': PASSING }, true);
  assert.equal(status, 0, output);
});

test('run-tests: outside CI a skip is reported, not failed', () => {
  const { status, output } = runSuite({ 'a.test.js': PASSING, 'b.test.js': SKIPPING }, false);
  assert.equal(status, 0, output);
  assert.doesNotMatch(output, /CI=true/);
});

test('run-tests: a failing test fails the run under CI too', () => {
  const { status, output } = runSuite({ 'a.test.js': "require('node:test').test('fails', () => { throw new Error('boom'); });\n" }, true);
  assert.equal(status, 1, output);
});
