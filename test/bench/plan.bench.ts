// Memory planner benchmark: estimator error per component against llama.cpp's dry run (CPU build) for
// every case of the CPU matrix, dry-run time and plan time. Rewrites its own section of BENCHMARKS.md.
// `npm run bench -- plan` runs it alone.
import { cpus } from 'node:os';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { plan } from '../../src/extension/memory/plan';
import { CPU_MATRIX, runCase, stubFor, type CaseResult } from '../integration/estimateMatrix';
import { realServer, tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';
import { matrixSection } from './estimateTables';
import { itemAt } from '../fixtures/itemAt';

const NAME = 'memory-planner';

async function main(): Promise<string> {
  const server = await realServer();
  if (!server.fitParams) throw new Error('no llama-fit-params in this build');
  const dir = tempDir('bench-plan');
  const results: CaseResult[] = [];
  const planTimes: { name: string; ms: number }[] = [];
  try {
    for (const c of CPU_MATRIX) {
      const r = await runCase({ fitParams: server.fitParams }, dir.path, c);
      results.push(r);
      console.log(`${r.name}: dry run ${r.dryRunMs.toFixed(0)} ms`);
    }
    const seen = new Set<string>();
    for (const c of CPU_MATRIX.filter((x) => !x.heldBack)) {
      const key = `${c.model}-${c.quant}`;
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
        planTimes.push({ name: `${c.model} ${c.quant} on simulated ${gb} GB`, ms: (performance.now() - t) / runs });
      }
    }
  } finally {
    dir.dispose();
  }

  const plans = planTimes.map((p) => p.ms).sort((a, b) => a - b);
  const body = [
    '## Memory planner',
    '',
    `\`npm run bench -- plan\` (test/bench/plan.bench.ts). Estimator (src/extension/memory/estimate.ts) against llama.cpp's dry run (\`llama-fit-params -lv 4\`, bundled build ${server.version}) of sparse real-shaped models on this machine's CPU (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} threads). Host memory only: a CPU machine has no GPU rows to compare (the Vulkan matrix below has them). Cells: dry run / estimate MiB (error); **out** marks a component outside 5% or 32 MiB. Model = Host + CPU_REPACK.`,
    '',
    matrixSection(results),
    '',
    `Plan (estimator, simulated 8/12/24 GB GPUs): median ${itemAt(plans, Math.floor(plans.length / 2)).toFixed(2)} ms, max ${itemAt(plans, -1).toFixed(2)} ms.`,
    '',
    '| plan | ms |',
    '|---|---|',
    ...planTimes.map((p) => `| ${p.name} | ${p.ms.toFixed(2)} |`),
  ].join('\n');
  return body;
}

runBench(NAME, main);
