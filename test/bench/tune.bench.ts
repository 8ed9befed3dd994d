// Tuning benchmark: llama.cpp's defaults against the tuned settings, prompt and generation tokens/s, for three generated
// models, each from ONE tuning run (the defaults are one of its candidates, so tuned >= default by construction).
// `npm run bench -- tune` runs it alone. Rewrites its own section of BENCHMARKS.md.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { writeModel, writeSparseModel } from '../../src/extension/gguf/writer/models';
import { SMALL_SHAPES } from '../../src/extension/gguf/writer/shapes';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import type { TuneReport } from '../../src/extension/runner/tuning/tuneModel';
import { describeSettings } from '../../src/extension/runner/tuning/tuneSettings';
import { TuneStore } from '../../src/extension/runner/tuning/tuneStore';
import { bestFor, samplesFor, summarize, type TuneGoal } from '../../src/extension/runner/tuning/tuner';
import { realServer, tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';

const NAME = 'tuning';
const PROMPT_TOKENS = 64;
const GEN_TOKENS = 16;
const REPETITIONS = 2;

interface BenchModel {
  name: string;
  write(path: string): Promise<unknown>;
  budgetSeconds: number;
}

/**
 * Dense small: the tiny test model. Dense ~1B and MoE: real shapes of the small presets written sparse (the data a hole
 * of zeros): llama.cpp reads and multiplies every byte as it would real weights, so the speed is a real model's.
 */
const MODELS: BenchModel[] = [
  { name: 'dense small (tiny-dense Q8_0, 0.7 M parameters)', write: (p) => writeModel(p, 'tiny-dense', { type: 'Q8_0', seed: 1 }), budgetSeconds: 40 },
  { name: 'dense ~1B (small-llama Q4_K_M, 16 x 2048)', write: (p) => writeSparseModel(p, SMALL_SHAPES['small-llama'], { quant: 'Q4_K_M' }), budgetSeconds: 420 },
  { name: 'MoE (small-qwen3moe Q4_K_M, 64 experts, 8 used)', write: (p) => writeSparseModel(p, SMALL_SHAPES['small-qwen3moe'], { quant: 'Q4_K_M' }), budgetSeconds: 120 },
];

const f = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
const cell = (samples: readonly number[]): string => {
  const s = summarize(samples);
  return `${f(s.median)} [${f(s.interval.low)}-${f(s.interval.high)}] n=${s.runs}`;
};

function rows(model: string, r: TuneReport): string[] {
  const o = r.outcome;
  return (['prompt', 'generation'] as TuneGoal[]).map((goal) => {
    const best = bestFor(o.trials, goal) ?? o.defaults;
    const d = summarize(samplesFor(o.defaults, goal)).median;
    const t = summarize(samplesFor(best, goal)).median;
    const what = best.candidate.isDefault ? "llama.cpp's defaults" : `${best.candidate.label} (${describeSettings(best.candidate.settings)})`;
    return `| ${model} | ${goal} | ${cell(samplesFor(o.defaults, goal))} | ${cell(samplesFor(best, goal))} | ${(t / d).toFixed(2)}x | ${what} |`;
  });
}

async function main(): Promise<string> {
  const server = await realServer();
  const loadBefore = loadavg()[0] ?? 0;
  const dir = tempDir('bench-tune');
  const lines: string[] = [];
  const runs: string[] = [];
  try {
    const runner = new ModelRunner({ cacheRoot: dir.path, sourceFrom: dir.path, llamaServerPath: () => server.path }, new SystemHardwareProbe(), new TuneStore(dir.path));
    try {
      for (const m of MODELS) {
        const path = join(dir.path, `${m.name.split(' ')[0]}-${lines.length}.gguf`);
        await m.write(path);
        console.log(`${m.name}: tuning for up to ${m.budgetSeconds} s`);
        const report = await runner.tune({
          modelPath: path, wishes: {}, goal: 'generation', budgetSeconds: m.budgetSeconds, promptTokens: PROMPT_TOKENS, genTokens: GEN_TOKENS, repetitions: REPETITIONS,
          onProgress: (p) => process.stdout.write(`  ${p.percent.toFixed(0)}% ${p.message}\n`),
        });
        lines.push(...rows(m.name, report));
        runs.push(`${m.name}: ${report.outcome.trials.length} candidates measured in ${report.outcome.seconds.toFixed(0)} s, stopped by ${report.outcome.stoppedBy}.`);
      }
    } finally {
      runner.dispose();
    }
  } finally {
    dir.dispose();
  }
  return [
    '## Tuning: llama.cpp defaults vs tuned',
    '',
    `\`npm run bench -- tune\` (test/bench/tune.bench.ts). One \`headroom tune\` run per model (goal: generation) with llama-bench of build ${server.version}, -p ${PROMPT_TOKENS} -n ${GEN_TOKENS}, ${REPETITIONS} repetitions per llama-bench run, on this machine's CPU (${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} threads). llama.cpp's defaults (llama-bench with no tuning flags, what plain \`llama-server -m MODEL\` runs) are one of the candidates of the same run, so "tuned" (the best median for each metric) is never below them. Cells: median tokens/s [~95% confidence interval of the median, distribution-free] n = repetitions. The machine is shared: the spread is the noise of the moment (1-minute load average ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end, on ${cpus().length} threads); with more runnable threads than cores, llama.cpp's threads wait for each other and fewer threads can win by far.`,
    '',
    '| model | metric | llama.cpp defaults | tuned | tuned / default | tuned settings |',
    '|---|---|---|---|---|---|',
    ...lines,
    '',
    ...runs.map((r) => `- ${r}`),
  ].join('\n');
}

runBench(NAME, main);
