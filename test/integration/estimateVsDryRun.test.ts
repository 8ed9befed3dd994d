// The TypeScript estimator against llama.cpp's own dry run (llama-fit-params -lv 4) of the bundled
// build, on real-shaped sparse models on this machine's CPU: every component within tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MATRIX, caseName, runCase, tolerance } from './estimateMatrix';
import { realServer, tempDir } from './realServer';
import { requireTool } from '../fixtures/requireTool';

test('estimator vs dry run: within 5% per component (16 MiB under 64 MiB) on every case', async (t) => {
  const server = await realServer();
  const missing = requireTool('llama-fit-params', server.fitParams, `the llama.cpp build of ${server.path} has none`);
  if (!server.fitParams) {
    t.skip(missing);
    return;
  }
  const dir = tempDir('estimate');
  try {
    const failures: string[] = [];
    for (const c of MATRIX) {
      const r = await runCase(server.fitParams, dir.path, c);
      for (const key of ['modelMiB', 'contextMiB', 'computeMiB', 'repackMiB'] as const) {
        const m = r.measured[key];
        const e = r.estimated[key];
        if (Math.abs(e - m) > tolerance(m)) failures.push(`${caseName(c)} ${key}: estimated ${e.toFixed(1)}, dry run ${m}`);
      }
    }
    assert.deepEqual(failures, []);
  } finally {
    dir.dispose();
  }
});
