// Completion benchmark: latency from keystroke to ghost text and the share of requests cancelled, with
// the completion core (debounce, cancel-on-next-keystroke, cache) against a real llama-server on the
// generated FIM model. A scripted typist types code at a realistic pace: keys 80-350 ms apart (about 5
// characters a second, 50-60 words a minute), a 0.6-1.5 s pause at the end of each line; every keystroke
// calls the engine as VS Code calls the inline provider, and the next keystroke cancels the one before.
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompletionEngine, type CompletionStats } from '../../src/extension/completion/completionEngine';
import { cursorContextOf } from '../../src/extension/completion/cursorContext';
import { ExtraContext } from '../../src/extension/completion/extraContext';
import { InfillClient } from '../../src/extension/completion/infillClient';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { Random } from '../../src/extension/gguf/writer/random';
import { realServer, supervisorFor, tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';
import { itemAt } from '../fixtures/itemAt';

const ABOVE = Array.from({ length: 40 }, (_, i) => `function step${i}(value) {\n  return value * ${i} + offset;\n}`).join('\n').split('\n');
const BELOW = ['', 'export { run };', ''];
const TYPED = [
  'function run(values) {',
  '  const out = [];',
  '  for (const v of values) out.push(step3(v) + step7(v));',
  '  return out.filter((x) => x > 10);',
  '}',
];

interface Run {
  readonly debounceMs: number;
  readonly latencies: number[];
  readonly cacheLatencies: number[];
  readonly cached: number[];
  readonly stats: CompletionStats;
  readonly keystrokes: number;
}

const percentile = (xs: readonly number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return itemAt(sorted, Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length)));
};

async function typeWith(client: InfillClient, debounceMs: number, seed: number): Promise<Run> {
  const engine = new CompletionEngine(client, new ExtraContext(), { debounceMs, infill: { maxTokens: 64, maxPredictMs: 500 } });
  const random = new Random(seed);
  const pause = (from: number, to: number): number => from + Math.floor(random.float() * (to - from));
  const latencies: number[] = [];
  const cacheLatencies: number[] = [];
  const cached: number[] = [];
  const pending: Promise<void>[] = [];
  let keystrokes = 0;
  const done: string[] = [];
  for (const line of TYPED) {
    for (let col = 1; col <= line.length; col++) {
      const text = [...ABOVE, ...done, line.slice(0, col), ...BELOW].join('\n');
      const ctx = cursorContextOf('run.js', text, ABOVE.length + done.length, col, 256, 64);
      const pressed = performance.now();
      keystrokes++;
      pending.push(engine.complete(ctx).then((s) => {
        if (!s) return;
        (s.fromCache ? cacheLatencies : latencies).push(performance.now() - pressed);
        if (s.timings) cached.push(s.timings.cachedTokens);
      }));
      await sleep(col === line.length ? pause(600, 1500) : pause(80, 350));
    }
    done.push(line);
  }
  await Promise.all(pending);
  return { debounceMs, latencies, cacheLatencies, cached, stats: { ...engine.stats }, keystrokes };
}

async function main(): Promise<string> {
  const located = await realServer();
  const dir = tempDir('bench-completion');
  const supervisor = supervisorFor(located.path);
  const runs: Run[] = [];
  const load = loadavg()[0] ?? 0;
  try {
    const modelPath = join(dir.path, 'tiny-fim.gguf');
    await writeModel(modelPath, 'tiny-dense', { fim: true });
    const server = await supervisor.start({ modelPath, contextSize: 4096, port: 0, extraArgs: [] });
    const client = new InfillClient(server);
    for (const [i, debounceMs] of [150, 50, 0].entries()) runs.push(await typeWith(client, debounceMs, i + 1));
  } finally {
    await supervisor.stop();
    dir.dispose();
  }
  const ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(0));
  const share = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(0)}%`;
  return [
    '## Code completion: keystroke to ghost text',
    '',
    `\`npm run bench -- completion\` (test/bench/completion.bench.ts): the completion core (src/extension/completion/: debounce, the next keystroke cancelling the request in flight down to HTTP, cache per position) against llama-server ${located.version} (CPU build, ${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, load average ${load.toFixed(1)} when it started: other work shares these cores) on the generated tiny-dense FIM model (Q8_0, random weights, 4096 context), max 64 tokens a suggestion. A scripted typist types ${TYPED.join('').length} characters of JavaScript into a file of ${ABOVE.length} lines: keys 80-350 ms apart (seeded), 0.6-1.5 s at each line end; each keystroke calls the engine as VS Code calls the inline provider. Latency runs from the keystroke to the suggestion in hand (debounce included; VS Code's rendering is not). "Cancelled" is the share of keystrokes whose request was called off, during the debounce or in flight; "cached tokens" is llama-server's own \`timings.cache_n\` for the answered requests (the prompt it did not read again). Requests stream, so a cancelled one stops generating at the server's next token.`,
    '',
    '| debounce ms | keystrokes | sent | answered by server | p50 ms | p95 ms | from cache (typed ahead) | cache p50 ms | cancelled | blank fills | cached tokens p50 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map((r) =>
      `| ${r.debounceMs} | ${r.keystrokes} | ${r.stats.sent} | ${r.latencies.length} | ${ms(percentile(r.latencies, 50))} | ${ms(percentile(r.latencies, 95))} | ${r.stats.fromCache} | ${ms(percentile(r.cacheLatencies, 50))} | ${share(r.stats.cancelled, r.stats.requested)} (${r.stats.cancelled}) | ${r.stats.empty} | ${ms(percentile(r.cached, 50))} |`),
  ].join('\n');
}

runBench('completion', main);
