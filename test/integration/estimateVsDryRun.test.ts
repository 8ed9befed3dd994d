// The TypeScript estimator against llama.cpp's own dry run (llama-fit-params -lv 4) of the bundled
// CPU build, on real-shaped sparse models: every component within 5% or 32 MiB, on the development
// cases and on the held-back ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CPU_MATRIX, failures, runCase } from './estimateMatrix';
import { realServer, tempDir } from './realServer';
import { requireTool } from '../fixtures/requireTool';

for (const heldBack of [false, true]) {
  const cases = CPU_MATRIX.filter((c) => (c.heldBack === true) === heldBack);
  test(`estimator vs CPU dry run, ${heldBack ? 'held-back' : 'development'} cases (${cases.length}): every component within 5% or 32 MiB`, async (t) => {
    const server = await realServer();
    const missing = requireTool('llama-fit-params', server.fitParams, `the llama.cpp build of ${server.path} has none`);
    if (!server.fitParams) {
      t.skip(missing);
      return;
    }
    const dir = tempDir('estimate');
    try {
      const failed: string[] = [];
      for (const c of cases) failed.push(...failures(await runCase({ fitParams: server.fitParams }, dir.path, c)));
      assert.deepEqual(failed, []);
    } finally {
      dir.dispose();
    }
  });
}
