// Runs the compiled node:test files (out/test/<suite>/**/*.test.js) in one `node --test` so CI reads
// one closing summary. Usage: node scripts/run-tests.mjs [unit] [integration] [e2e]
import { readdirSync, statSync } from 'node:fs';
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
// One file at a time: integration files each start a real llama-server on a 2-core machine.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
