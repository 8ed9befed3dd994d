// The API-level suite (test/vscode-suite) inside real VS Code here: a small runner extension, installed next to the
// packaged Headroom, runs it on activation and writes its results, and each mocha test becomes a subtest here.
// `npm run test:vscode` runs the same suite through @vscode/test-electron where VS Code can be downloaded.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SuiteReport } from '../vscode-suite/codeServerRunner';
import { apiTests } from '../vscode-suite/suite';
import { e2eUnavailable, REPO, Session, waitUntil } from './harness';

/** Packages the runner extension: its main requires the compiled suite runner from this checkout. */
function packageRunner(dir: string): string {
  copyFileSync(join(REPO, 'test', 'vscode-suite', 'runner-extension', 'package.json'), join(dir, 'package.json'));
  const runner = join(REPO, 'out', 'test', 'vscode-suite', 'codeServerRunner.js');
  writeFileSync(join(dir, 'index.js'), `exports.activate = () => require(${JSON.stringify(runner)}).activate();\n`);
  writeFileSync(join(dir, 'README.md'), '# Headroom API suite runner\n\nTests only.\n');
  const out = join(dir, 'runner.vsix');
  const vsce = join(REPO, 'node_modules', '@vscode', 'vsce', 'vsce');
  const result = spawnSync(process.execPath, [vsce, 'package', '--skip-license', '--no-dependencies', '--out', out], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, `packaging the runner extension: ${result.stdout}${result.stderr}`);
  return out;
}

test('the API suite inside code-server (real VS Code)', { skip: e2eUnavailable(), timeout: 15 * 60_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'headroom-vscode-suite-'));
  const resultsPath = join(work, 'results.json');
  let session: Session | undefined;
  try {
    const runnerVsix = packageRunner(work);
    session = await Session.open({ name: 'vscode-api', extraVsix: [runnerVsix], env: { HEADROOM_VSCODE_SUITE_RESULTS: resultsPath } });
    const report = await waitUntil('the suite runner to write its results', () => existsSync(resultsPath) && (JSON.parse(readFileSync(resultsPath, 'utf8')) as SuiteReport), 480_000, 500);
    await session.screenshot('api-suite');
    assert.equal(report.error, undefined, `the runner failed: ${report.error}`);
    // The same tests as the suite declares, each reported here.
    assert.deepEqual(report.results.map((r) => `${r.suite} ${r.title}`).sort(), apiTests.map((a) => `${a.suite} ${a.title}`).sort());
    for (const result of report.results) {
      await t.test(`${result.suite}: ${result.title}`, () => {
        if (result.state === 'failed') assert.fail(result.error ?? 'failed');
      });
    }
  } finally {
    await session?.close();
    rmSync(work, { recursive: true, force: true });
  }
});
