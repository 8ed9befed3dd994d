// `npm run bench`: runs every compiled test/bench/*.bench.js in turn (`npm run bench -- ggufFuzz`: the names
// that contain an argument); each prints its own results and rewrites its section of BENCHMARKS.md.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = __dirname;
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.bench.js'))
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(dir, file)], { stdio: 'inherit' });
  console.log(`== ${file}: ${result.status === 0 ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
