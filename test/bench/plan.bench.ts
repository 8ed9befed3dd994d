// Memory planner benchmark: estimator error per component against llama.cpp's dry run for every
// case of the matrix, dry-run time and plan time. Rewrites its own section of BENCHMARKS.md.
import { cpus } from 'node:os';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { plan } from '../../src/extension/memory/plan';
import { MATRIX, relativeError, runCase, stubFor, type CaseResult } from '../integration/estimateMatrix';
import { realServer, tempDir } from '../integration/realServer';
import { writeSection } from './benchmarksFile';
import { itemAt } from '../fixtures/itemAt';

const NAME = 'memory-planner';

const pct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : 'n/a');

async function main(): Promise<void> {
  const server = await realServer();
  if (!server.fitParams) throw new Error('no llama-fit-params in this build');
  const dir = tempDir('bench-plan');
  const results: CaseResult[] = [];
  const planTimes: { name: string; ms: number }[] = [];
  try {
    for (const c of MATRIX) {
      const r = await runCase(server.fitParams, dir.path, c);
      results.push(r);
      console.log(`${r.name}: dry run ${r.dryRunMs.toFixed(0)} ms`);
    }
    const seen = new Set<string>();
    for (const c of MATRIX) {
      const key = `${c.preset}-${c.quant}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const header = await readGgufHeader(await stubFor(dir.path, c));
      for (const gb of [8, 12, 24]) {
        const hw: HardwareFacts = {
          gpus: [{ index: 0, name: `simulated ${gb} GB`, totalMiB: gb * 1024, freeMiB: gb * 1024, usedMiB: 0 }],
          ramTotalMiB: 65536, ramAvailableMiB: 60000, physicalCores: 8, logicalCores: 16,
        };
        plan(header, hw); // warm-up
        const t = performance.now();
        const runs = 5;
        for (let i = 0; i < runs; i++) plan(header, hw);
        planTimes.push({ name: `${c.preset} ${c.quant} on simulated ${gb} GB`, ms: (performance.now() - t) / runs });
      }
    }
  } finally {
    dir.dispose();
  }

  const rows = results.map((r) => {
    const cell = (k: 'modelMiB' | 'contextMiB' | 'computeMiB' | 'repackMiB'): string =>
      `${r.measured[k]} / ${r.estimated[k].toFixed(0)} (${pct(relativeError(r.estimated[k], r.measured[k]))})`;
    return `| ${r.name} | ${cell('modelMiB')} | ${cell('contextMiB')} | ${cell('computeMiB')} | ${cell('repackMiB')} | ${r.dryRunMs.toFixed(0)} | ${r.estimateMs.toFixed(2)} |`;
  });
  const worst = (k: 'modelMiB' | 'contextMiB' | 'computeMiB' | 'repackMiB'): string => {
    const errs = results.map((r) => ({ e: Math.abs(r.estimated[k] - r.measured[k]), rel: Math.abs(relativeError(r.estimated[k], r.measured[k])) }));
    const rel = Math.max(...errs.map((x) => (Number.isFinite(x.rel) ? x.rel : 0)));
    const abs = Math.max(...errs.map((x) => x.e));
    return `${(rel * 100).toFixed(1)}% (${abs.toFixed(1)} MiB)`;
  };
  const dry = results.map((r) => r.dryRunMs).sort((a, b) => a - b);
  const plans = planTimes.map((p) => p.ms).sort((a, b) => a - b);
  const body = [
    '## Memory planner',
    '',
    `Estimator (src/extension/memory/estimate.ts) against llama.cpp's dry run (\`llama-fit-params -lv 4\`, bundled build ${server.version}) of sparse real-shaped models on this machine's CPU (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} threads). Host memory only: a CPU machine has no GPU rows to compare. Cells: dry run / estimate MiB (error). Model = Host + CPU_REPACK; repack = the CPU_REPACK part.`,
    '',
    `Worst error: model ${worst('modelMiB')}, context ${worst('contextMiB')}, compute ${worst('computeMiB')}, repack ${worst('repackMiB')}.`,
    `Dry run: median ${itemAt(dry, Math.floor(dry.length / 2)).toFixed(0)} ms, max ${itemAt(dry, -1).toFixed(0)} ms. Plan (estimator, simulated 8/12/24 GB GPUs): median ${itemAt(plans, Math.floor(plans.length / 2)).toFixed(2)} ms, max ${itemAt(plans, -1).toFixed(2)} ms.`,
    '',
    '| case | model | context | compute | repack | dry run ms | estimate ms |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| plan | ms |',
    '|---|---|',
    ...planTimes.map((p) => `| ${p.name} | ${p.ms.toFixed(2)} |`),
  ].join('\n');
  writeSection(NAME, body);
  console.log(body);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
