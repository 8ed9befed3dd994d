// Prepares the GPU check's inputs on a machine with Node (the GPU machine has none):
// for each model, the header of its sparse stub (gzipped) and its logical size, and for each
// emulated card Headroom's plan (`headroom plan STUB --vram MiB --json`, the estimator).
//
//   npx tsc -p . && node scripts/gpu-check/prepare.mjs [--host-from-this-machine]   (that flag also needs npm run build)
//
// The plans are Headroom's estimator plans for one simulated, all-free GPU of each card size. Their
// host side (RAM, threads) is, by default, the GPU machine's (128 GB RAM, 16 cores: GPU_HOST below),
// planned with the same calls `headroom plan --vram` makes (exactPlan without a dry run, planJson):
// this machine's RAM is 24 GB and its MemAvailable moves with whatever else runs, which would make
// plans for large models RAM-bound and not reproducible. --host-from-this-machine runs the CLI
// itself (`node dist/cli.js plan STUB --vram MiB --json`), host side = this machine.
//
// Writes scripts/gpu-check/cases/ (small: headers only). run.sh recreates each stub on the GPU
// machine by writing the header and `truncate -s SIZE`, so the tensor data reads as zeros.
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, openSync, readSync, closeSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, totalmem, cpus } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const require = createRequire(import.meta.url);
const modelsJs = join(root, 'out', 'src', 'extension', 'gguf', 'writer', 'models.js');
const cliJs = join(root, 'dist', 'cli.js');
const needed = [[modelsJs, 'npx tsc -p .'], [join(root, 'out', 'src', 'extension', 'runner', 'exactPlan.js'), 'npx tsc -p .']];
if (process.argv.includes('--host-from-this-machine')) needed.push([cliJs, 'npm run build']);
for (const [file, how] of needed) {
  if (!existsSync(file)) {
    console.error(`${relative(root, file)} is missing: run \`${how}\` first.`);
    process.exit(2);
  }
}
const { writeSparseModel } = require(modelsJs);

/** Models in the order run.sh measures them (most informative first). */
const MODELS = [
  { id: 'llama3-8b-Q4_K_M', preset: 'llama3-8b', quant: 'Q4_K_M' },
  { id: 'qwen3-30b-a3b-Q4_K_M', preset: 'qwen3-30b-a3b', quant: 'Q4_K_M' },
  { id: 'mixtral-8x7b-Q4_K_M', preset: 'mixtral-8x7b', quant: 'Q4_K_M' },
  { id: 'llama3-8b-Q8_0', preset: 'llama3-8b', quant: 'Q8_0' },
  { id: 'llama3-70b-Q4_K_M', preset: 'llama3-70b', quant: 'Q4_K_M' },
];
/** The GPU machine's host side (the device tool's nvidia-h100-x1: 16 cores, 128 GiB RAM). */
const GPU_HOST = { ramTotalMiB: 128 * 1024, ramAvailableMiB: 120 * 1024, physicalCores: 16, logicalCores: 16 };
const fromThisMachine = process.argv.includes('--host-from-this-machine');
const outSrc = join(root, 'out', 'src', 'extension');
const { exactPlan } = require(join(outSrc, 'runner', 'exactPlan.js'));
const { planJson } = require(join(outSrc, 'present', 'planJson.js'));
const { readGgufHeader } = require(join(outSrc, 'gguf', 'header.js'));

async function planFor(stub, card) {
  if (fromThisMachine) {
    // Exit 3 = a plan that does not fit (e.g. RAM short on the preparing machine); its JSON is still the plan.
    const res = spawnSync(process.execPath, [cliJs, 'plan', stub, '--vram', String(card), '--json'], { encoding: 'utf8' });
    try {
      return { ...JSON.parse(res.stdout), planExitCode: res.status, planHost: 'preparing machine (headroom plan --vram)' };
    } catch {
      throw new Error(`plan of ${stub} on ${card} MiB (exit ${res.status}) printed no JSON: ${res.stderr}`);
    }
  }
  const hardware = {
    ...GPU_HOST,
    gpus: [{ index: 0, name: `Simulated GPU 0 (${(card / 1024).toFixed(0)} GB)`, totalMiB: card, freeMiB: card, usedMiB: 0 }],
  };
  const report = await exactPlan({ modelPath: stub, header: await readGgufHeader(stub), hardware, wishes: {} });
  return { ...planJson(report), planHost: `GPU machine (${GPU_HOST.ramTotalMiB} MiB RAM, ${GPU_HOST.physicalCores} cores), estimator as in headroom plan --vram` };
}

/** Emulated cards, MiB. */
const CARDS = [8192, 12288, 24576];

const casesDir = join(here, 'cases');
rmSync(casesDir, { recursive: true, force: true });
mkdirSync(casesDir, { recursive: true });
// A fixed path, so the plans (which name the stub) come out the same on every run.
const scratch = join(tmpdir(), 'headroom-gpu-check-prepare');
rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

const index = {
  preparedAt: new Date().toISOString(),
  headroomCommit: gitHead(),
  note: fromThisMachine
    ? 'Plans from `headroom plan STUB --vram MiB --json` on the preparing machine: the simulated GPU is all free, but the host side (RAM, threads) is that machine\'s. bench.py replaces -t with the GPU machine\'s physical cores.'
    : 'Plans from the estimator (the calls `headroom plan --vram` makes) for one all-free simulated GPU and the GPU machine\'s host (planHost). bench.py replaces -t with the GPU machine\'s physical cores.',
  planHost: fromThisMachine ? 'preparing machine' : GPU_HOST,
  preparedOn: { ramMiB: Math.round(totalmem() / 2 ** 20), logicalCores: cpus().length },
  cards: CARDS,
  models: [],
};

try {
  for (const m of MODELS) {
    const started = performance.now();
    const stub = join(scratch, `${m.id}.gguf`);
    const written = await writeSparseModel(stub, m.preset, { quant: m.quant });
    const headerBytes = written.layout.dataOffset;
    const header = Buffer.alloc(headerBytes);
    const fd = openSync(stub, 'r');
    try {
      let got = 0;
      while (got < headerBytes) {
        const n = readSync(fd, header, got, headerBytes - got, got);
        if (n <= 0) throw new Error(`short read of ${stub}`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    const dir = join(casesDir, m.id);
    mkdirSync(dir);
    writeFileSync(join(dir, 'header.bin.gz'), gzipSync(header, { level: 9 }));
    const plans = {};
    for (const card of CARDS) {
      const plan = await planFor(stub, card);
      if (!Array.isArray(plan.args)) throw new Error(`plan of ${m.id} on ${card} MiB has no args`);
      const file = `plan-${card}.json`;
      writeFileSync(join(dir, file), JSON.stringify(plan, null, 2) + '\n');
      plans[card] = file;
    }
    const model = {
      id: m.id,
      preset: m.preset,
      quant: m.quant,
      fileSize: written.fileSize,
      headerBytes,
      headerSha256: sha256(header),
      tensorCount: written.tensorCount,
      header: `${m.id}/header.bin.gz`,
      plans: Object.fromEntries(Object.entries(plans).map(([k, v]) => [k, `${m.id}/${v}`])),
    };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(model, null, 2) + '\n');
    index.models.push(model);
    rmSync(stub, { force: true });
    const summary = CARDS.map((c) => {
      const p = JSON.parse(readFileSync(join(dir, `plan-${c}.json`), 'utf8'));
      return `${c / 1024}G: ngl ${p.gpuLayers.onGpu}/${p.gpuLayers.total}${p.cpuMoeLayers ? ` cpu-moe ${p.cpuMoeLayers}` : ''} ctx ${p.contextSize} ${p.cacheTypeK}${p.fits ? '' : ' (fits: false)'}`;
    });
    console.log(`${m.id}: ${(written.fileSize / 2 ** 30).toFixed(2)} GiB, header ${headerBytes} B (${Math.round((performance.now() - started))} ms); ${summary.join('; ')}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(join(casesDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
let total = 0;
const walk = (d) => {
  for (const e of readdirSync(d)) {
    const p = join(d, e);
    const s = statSync(p);
    if (s.isDirectory()) walk(p);
    else total += s.size;
  }
};
walk(casesDir);
console.log(`wrote ${relative(root, casesDir)}/ (${(total / 2 ** 20).toFixed(2)} MiB)`);

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}
