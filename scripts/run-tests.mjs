// Runs the compiled node:test files (out/test/<suite>/**/*.test.js) in one `node --test` so CI reads
// one closing summary. Usage: node scripts/run-tests.mjs [unit] [integration] [e2e]
// Under CI (CI=true) a skipped test fails the run: a test that needs a missing tool fails there by itself
// (test/fixtures/requireTool.ts), and this catches any skip that does not go through it.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration', 'e2e'];

function collect(dir) {
  let found = [];
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names.sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(collect(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const files = suites.flatMap((suite) => collect(join('out', 'test', suite)));
if (files.length === 0) {
  console.error(`No compiled tests under out/test/{${suites.join(',')}}: run \`npx tsc -p .\` first.`);
  process.exit(1);
}
const ci = process.env.CI === 'true';
const tapDir = ci ? mkdtempSync(join(tmpdir(), 'headroom-tests-')) : undefined;
const tapFile = tapDir && join(tapDir, 'report.tap');
// Node's own choice of reporter on stdout, and under CI a TAP copy to read the skips from.
const reporters = tapFile
  ? ['--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout', '--test-reporter', 'tap', '--test-reporter-destination', tapFile]
  : [];
// One file at a time: integration files each start a real llama-server on a 2-core machine.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...files], { stdio: 'inherit' });
let status = result.status ?? 1;
if (tapFile) {
  const skipped = skippedTests(readFileSync(tapFile, 'utf8'));
  rmSync(tapDir, { recursive: true, force: true });
  if (skipped.length > 0) {
    console.error(`\nCI=true: ${skipped.length} test(s) skipped, which CI does not allow (a skipped test tests nothing):\n${skipped.map((s) => `  ${s}`).join('\n')}`);
    status = status || 1;
  }
}
process.exit(status);

/** The skipped tests and suites of a TAP report: "ok 3 - name # SKIP reason" lines, at any nesting. */
function skippedTests(tap) {
  return [...tap.matchAll(/^\s*ok \d+ - (.*) # SKIP(.*)$/gm)].map((m) => `${m[1]}:${m[2] || ' (no reason given)'}`);
}
