// Validator fuzz: 100,000 mutations of whole generated models (tensor data included), each through the
// validator and the planner as Headroom runs them before anything native sees a file; the distinct files the
// validator accepts then go through llama.cpp's own dry run (llama-fit-params), which must never abort on them.
// Rewrites its section of BENCHMARKS.md. HEADROOM_FUZZ_MUTATIONS / HEADROOM_FUZZ_DRY_RUNS / HEADROOM_FUZZ_SEED
// change the counts and the seed.
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { HeadroomError } from '../../src/extension/common/errors';
import { GgufFormatError, parseGgufHeader, type GgufHeader } from '../../src/extension/gguf/header';
import { dryRun } from '../../src/extension/llama/dryRun';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { ModelShapeError } from '../../src/extension/memory/modelShape';
import { plan } from '../../src/extension/memory/plan';
import { Random } from '../../src/extension/gguf/writer/random';
import { FUZZ_SEEDS, fuzzSeeds, GgufMutator, MUTATION_KINDS, type Mutation, type MutationKind } from '../fixtures/ggufMutator';
import { realServer, tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';

const NAME = 'gguf-fuzz';
const MUTATIONS = Number(process.env.HEADROOM_FUZZ_MUTATIONS ?? 100_000);
const DRY_RUNS = Number(process.env.HEADROOM_FUZZ_DRY_RUNS ?? 5_000);
const SEED = Number(process.env.HEADROOM_FUZZ_SEED ?? 1);

/** llama.cpp's log thread can lose the last lines of a process that exits right after writing them (ggml-org/llama.cpp#22142). */
const NO_OUTPUT = '(no error line: the log thread lost it at exit, ggml-org/llama.cpp#22142)';

/** The planner's view of a CPU-only machine: what exactPlan hands llama-fit-params here. */
const CPU_ONLY: HardwareFacts = { gpus: [], ramTotalMiB: 16_384, ramAvailableMiB: 12_000, physicalCores: 2, logicalCores: 2 };

interface Example {
  readonly label: string;
  readonly text: string;
}

/** Keeps a uniform sample of `size` items from a stream (reservoir sampling), seeded. */
class Reservoir<T> {
  readonly items: T[] = [];
  seen = 0;
  private readonly random = new Random(SEED + 7);

  constructor(private readonly size: number) {}

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const j = this.random.u32() % this.seen;
      if (j < this.size) this.items[j] = item;
    }
  }
}

/** The arguments Headroom's own plan gives llama-fit-params, or a small context where the planner refused. */
function dryRunArgs(header: GgufHeader): string[] {
  try {
    const p = plan(header, CPU_ONLY);
    return [...p.args, '--ctx-size', String(p.contextSize)];
  } catch {
    return ['--ctx-size', '512', '-t', '2'];
  }
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}...` : line;
}

async function main(): Promise<string> {
  const server = await realServer();
  if (!server.fitParams) throw new Error('no llama-fit-params in this build');
  const started = performance.now();
  const mutator = new GgufMutator(fuzzSeeds(), SEED);
  const perKind = new Map<MutationKind, { tried: number; rejected: number }>(MUTATION_KINDS.map((k) => [k, { tried: 0, rejected: 0 }]));
  const rejectedFields = new Map<string, number>();
  let precise = 0;
  const imprecise: Example[] = [];
  const escaped: Example[] = [];
  const plannerThrew: Example[] = [];
  let plannerRefused = 0;
  let accepted = 0;
  let slowest = { ms: 0, label: '' };
  const distinct = new Set<string>();
  const sample = new Reservoir<Mutation>(DRY_RUNS);

  const validateMs: number[] = [];
  // CPU time of this process during each validation: on a shared machine, wall time also counts waits for a core.
  let slowestCpu = { ms: 0, label: '' };
  for (let i = 0; i < MUTATIONS; i++) {
    if (i > 0 && i % 10_000 === 0) console.log(`${i} mutations, ${accepted} accepted, ${distinct.size} distinct (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    const m = mutator.next();
    const tally = perKind.get(m.kind);
    if (tally) tally.tried++;
    const { file, undo } = mutator.apply(m);
    try {
      const t = performance.now();
      const cpu = process.cpuUsage();
      let header: GgufHeader | undefined;
      try {
        header = await parseGgufHeader(file);
      } catch (error) {
        if (!(error instanceof GgufFormatError)) escaped.push({ label: `${m.kind}: ${m.label}`, text: String(error) });
        else if (error.field && Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= file.length) {
          precise++;
          rejectedFields.set(error.field, (rejectedFields.get(error.field) ?? 0) + 1);
        } else imprecise.push({ label: `${m.kind}: ${m.label}`, text: error.message });
        if (tally) tally.rejected++;
      }
      const ms = performance.now() - t;
      const cpuUsed = process.cpuUsage(cpu);
      const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
      validateMs.push(ms);
      if (cpuMs > slowestCpu.ms) slowestCpu = { ms: cpuMs, label: `${m.kind}: ${m.label}` };
      if (ms > slowest.ms) slowest = { ms, label: `${m.kind}: ${m.label}` };
      if (!header) continue;
      accepted++;
      try {
        plan(header, CPU_ONLY);
      } catch (error) {
        if (error instanceof ModelShapeError) plannerRefused++;
        else plannerThrew.push({ label: `${m.kind}: ${m.label}`, text: String(error) });
      }
      // Equal labels are equal files; a flipped byte in tensor data is one file as far as a dry run can tell.
      const key = `${m.seed} ${m.label}`;
      if (m.label.split(', ').every((part) => part === 'data byte') || distinct.has(key)) continue;
      distinct.add(key);
      sample.offer(m);
    } finally {
      undo();
    }
  }
  const validateSeconds = (performance.now() - started) / 1000;

  const dir = tempDir('bench-fuzz');
  const path = join(dir.path, 'accepted.gguf');
  const outcomes = { planned: 0, refused: 0, aborted: 0 };
  const refusals = new Map<string, number>();
  const aborts: Example[] = [];
  const dryMs: number[] = [];
  try {
    for (const [n, m] of sample.items.entries()) {
      const { file, undo } = mutator.apply(m);
      let header: GgufHeader;
      try {
        writeFileSync(path, file);
        header = await parseGgufHeader(file);
      } finally {
        undo();
      }
      const t = performance.now();
      try {
        await dryRun(server.fitParams, path, dryRunArgs(header));
        outcomes.planned++;
      } catch (error) {
        if (!(error instanceof HeadroomError)) throw error;
        const message = error.message;
        // dryRun names an abort ("could not load this file", or the GPU backend's); another signal shows as "(exit SIGxxx)".
        if (/could not load this file|GPU backend aborted|\(exit (SIG\w+|null)\)/.test(message)) {
          outcomes.aborted++;
          aborts.push({ label: `${m.kind}: ${m.label}`, text: message.replace(path, '<file>') });
          console.log(`ABORT ${m.kind}: ${m.label}: ${message}`);
        } else {
          outcomes.refused++;
          // The first error line says why; the last is always fit-params' "failed to fit CLI arguments".
          const first = (error.hint ?? '').split('\n').find((l) => / E /.test(l));
          const reason = first ? first.replace(/^.* E /, '').replace(/\b\d+\b/g, 'N').replace(/\s+/g, ' ') : NO_OUTPUT;
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1);
        }
      }
      dryMs.push(performance.now() - t);
      if ((n + 1) % 500 === 0) console.log(`${n + 1} dry runs (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
  } finally {
    dir.dispose();
  }
  const dryRuns = sample.items.length;
  dryMs.sort((a, b) => a - b);
  validateMs.sort((a, b) => a - b);
  const quantile = (sorted: readonly number[], q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.toFixed(q < 0.99 ? 2 : 1) ?? '-';

  const kindRows = [...perKind].map(([kind, { tried, rejected }]) => `| ${kind} | ${tried} | ${rejected} | ${tried - rejected} |`);
  const topFields = [...rejectedFields].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([f, n]) => `${f} (${n})`).join(', ');
  const topRefusals = [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([r, n]) => `| ${n} | ${r.replace(/\|/g, '\\|')} |`);
  const examples = (title: string, list: readonly Example[]): string[] =>
    list.length === 0 ? [] : ['', `${title} (first ${Math.min(5, list.length)}):`, ...list.slice(0, 5).map((e) => `- ${e.label}: ${firstLine(e.text)}`)];
  const body = [
    '## GGUF validator fuzz',
    '',
    `\`npm run bench -- ggufFuzz\` (test/bench/ggufFuzz.bench.ts, seed ${SEED}): ${MUTATIONS} mutations of whole generated models with their tensor data (${FUZZ_SEEDS.map((s) => `${s.preset} ${s.type}`).join(', ')}): byte flips, metadata value changes, tensor-info changes, truncations, inflated counts, value and tensor type swaps. Each goes through the validator (readGgufHeaderFrom: structure, then src/extension/gguf/semantics.ts) and, when accepted, the planner; then a uniform sample of the distinct accepted files goes through a real dry run (\`llama-fit-params\`, bundled build ${server.version}) with the planner's arguments.`,
    '',
    '| result | count | target |',
    '|---|---|---|',
    `| mutations | ${MUTATIONS} | |`,
    `| rejected with a precise message (GgufFormatError naming a field and a byte offset in the file) | ${precise} | |`,
    `| rejected without a field or offset | ${imprecise.length} | 0 |`,
    `| exceptions escaping the validator | ${escaped.length} | 0 |`,
    `| accepted | ${accepted} (${distinct.size} distinct files) | |`,
    `| accepted, then the planner threw an untyped exception | ${plannerThrew.length} | 0 |`,
    `| accepted, the planner refused it (ModelShapeError) | ${plannerRefused} | |`,
    `| dry-run (uniform sample of the distinct accepted files) | ${dryRuns} of ${distinct.size} | |`,
    `| - llama-fit-params planned it | ${outcomes.planned} | |`,
    `| - llama.cpp refused it with an error (exit 1) | ${outcomes.refused} | |`,
    `| - accepted but llama.cpp aborted (or died by another signal) | ${outcomes.aborted} | 0 |`,
    `| slowest validate (ms) | ${slowest.ms.toFixed(1)} | 200 |`,
    `| slowest validate in CPU time (ms) | ${slowestCpu.ms.toFixed(1)} | 200 |`,
    '',
    `Validate: median ${quantile(validateMs, 0.5)} ms, 99th percentile ${quantile(validateMs, 0.99)} ms, 99.9th ${quantile(validateMs, 0.999)} ms, slowest ${slowest.ms.toFixed(1)} ms (${slowest.label}), wall clock on a shared ${cpus().length}-thread machine, where a validation can wait for a core; in CPU time (this process, garbage collection included) the slowest took ${slowestCpu.ms.toFixed(1)} ms (${slowestCpu.label}). All ${MUTATIONS} validated in ${validateSeconds.toFixed(0)} s. Dry runs: median ${quantile(dryMs, 0.5)} ms, max ${dryMs.at(-1)?.toFixed(0) ?? '-'} ms.`,
    '',
    `Most refused fields: ${topFields}.`,
    '',
    '| mutation | tried | rejected | accepted |',
    '|---|---|---|---|',
    ...kindRows,
    ...(topRefusals.length ? ['', 'What llama.cpp said about the accepted files it refused cleanly (exit 1), most common first, numbers as N:', '', '| files | llama.cpp error |', '|---|---|', ...topRefusals] : []),
    ...examples('Aborts', aborts),
    ...examples('Escaping exceptions', escaped),
    ...examples('Planner exceptions', plannerThrew),
    ...examples('Rejections without field or offset', imprecise),
  ].join('\n');
  return body;
}

runBench(NAME, main);
