// The estimator-vs-dry-run matrix shared by the estimate tests and the benchmark: real-shaped sparse
// models dry-run by one of this project's llama.cpp builds (llama-fit-params -lv 4), against
// estimateMemory with the same arguments, per device and per component. This file holds the case
// format, the runner and the CPU build's cases; gpuEstimateMatrix.ts the Vulkan build's.
//
// Each matrix is split in two: the development cases, run while the estimator was written, and the
// HELD-BACK cases, chosen before and run only by the tests and the benchmark, so that they check
// the estimator on what it was not written against (other models, quants, contexts, batches, splits).
import { join } from 'node:path';
import { dryRun, type DryRunOptions } from '../../src/extension/llama/dryRun';
import { estimateMemory, type EstimateDevice, type EstimateOptions, type KvCacheType } from '../../src/extension/memory/estimate';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { writeSparseModel, type SparseQuant } from '../../src/extension/gguf/writer/models';
import { SMALL_SHAPES, SPARSE_SHAPES, type ModelShape, type SmallPreset, type SparsePreset } from '../../src/extension/gguf/writer/shapes';

export type MatrixModel = SparsePreset | SmallPreset;

export interface MatrixCase {
  readonly model: MatrixModel;
  readonly quant: SparseQuant;
  readonly ctx: number;
  /** llama-fit-params flags besides -c; the estimate gets the same settings (see estimateOptions). */
  readonly flags: string;
  readonly heldBack?: boolean;
}

export interface Components {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

export interface DeviceResult {
  /** "Host" or the backend device name, e.g. "Vulkan0". */
  readonly name: string;
  readonly measured: Components;
  readonly estimated: Components;
}

export interface CaseResult {
  readonly name: string;
  readonly heldBack: boolean;
  /** Host first, then each GPU. */
  readonly devices: DeviceResult[];
  readonly repack: { measured: number; estimated: number };
  readonly dryRunMs: number;
  readonly estimateMs: number;
}

export const COMPONENTS = ['modelMiB', 'contextMiB', 'computeMiB'] as const;

export function shapeOf(model: MatrixModel): ModelShape {
  return model in SPARSE_SHAPES ? SPARSE_SHAPES[model as SparsePreset] : SMALL_SHAPES[model as SmallPreset];
}

export function caseName(c: MatrixCase): string {
  return `${c.model} ${c.quant} -c ${c.ctx}${c.flags ? ` ${c.flags}` : ''}`;
}

/** The estimate options that mean what the case's llama-fit-params flags mean. */
export function estimateOptions(c: MatrixCase): EstimateOptions {
  const args = c.flags.split(' ').filter(Boolean);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (flag: string): number | undefined => (value(flag) === undefined ? undefined : Number(value(flag)));
  const fa = value('-fa');
  return {
    contextSize: c.ctx,
    gpuLayers: num('-ngl'),
    flashAttn: fa === undefined ? undefined : fa === 'on',
    cacheTypeK: value('-ctk') as KvCacheType | undefined,
    cacheTypeV: value('-ctv') as KvCacheType | undefined,
    batch: num('-b'),
    ubatch: num('-ub'),
    cpuMoeLayers: args.includes('--cpu-moe') ? shapeOf(c.model).nLayer : num('--n-cpu-moe'),
  };
}

/**
 * Within tolerance: 5% of the measured value or 32 MiB, whichever is larger, plus 1 MiB since
 * llama.cpp prints whole MiB (truncated).
 */
export function tolerance(measuredMiB: number): number {
  return Math.max(0.05 * measuredMiB, 32) + 1;
}

export function relativeError(estimated: number, measured: number): number {
  return measured === 0 ? (estimated === 0 ? 0 : Infinity) : (estimated - measured) / measured;
}

/** "<case> <device> <component>: estimated X, dry run Y" for every component out of tolerance. */
export function failures(r: CaseResult): string[] {
  const out: string[] = [];
  for (const d of r.devices) {
    for (const key of COMPONENTS) {
      const m = d.measured[key];
      const e = d.estimated[key];
      if (Math.abs(e - m) > tolerance(m)) out.push(`${r.name} ${d.name} ${key}: estimated ${e.toFixed(1)}, dry run ${m}`);
    }
  }
  if (Math.abs(r.repack.estimated - r.repack.measured) > tolerance(r.repack.measured)) {
    out.push(`${r.name} CPU_REPACK: estimated ${r.repack.estimated.toFixed(1)}, dry run ${r.repack.measured}`);
  }
  return out;
}

const written = new Map<string, Promise<string>>();

/** Writes (once per folder) the sparse stub for a case. */
export function stubFor(dir: string, c: MatrixCase): Promise<string> {
  const path = join(dir, `${c.model}-${c.quant}.gguf`);
  let p = written.get(path);
  if (!p) {
    p = writeSparseModel(path, shapeOf(c.model), { quant: c.quant }).then(() => path);
    written.set(path, p);
  }
  return p;
}

/** How a matrix reaches its build: llama-fit-params, the GPUs the estimate is told about, and the environment. */
export interface MatrixBuild {
  readonly fitParams: string;
  readonly devices?: readonly EstimateDevice[];
  readonly dryRun?: DryRunOptions;
}

export async function runCase(build: MatrixBuild, dir: string, c: MatrixCase): Promise<CaseResult> {
  const path = await stubFor(dir, c);
  const args = ['-c', String(c.ctx), ...c.flags.split(' ').filter(Boolean)];
  let measured;
  try {
    measured = await dryRun(build.fitParams, path, args, build.dryRun);
  } catch {
    // One retry: a dry run on a busy 2-core machine has been seen to print no breakdown once.
    measured = await dryRun(build.fitParams, path, args, build.dryRun);
  }
  const header = await readGgufHeader(path);
  const t = performance.now();
  const e = estimateMemory(header, { ...estimateOptions(c), devices: build.devices });
  const estimateMs = performance.now() - t;
  const pick = (x: Components): Components => ({ modelMiB: x.modelMiB, contextMiB: x.contextMiB, computeMiB: x.computeMiB });
  const zero: Components = { modelMiB: 0, contextMiB: 0, computeMiB: 0 };
  return {
    name: caseName(c),
    heldBack: c.heldBack === true,
    devices: [
      { name: 'Host', measured: pick(measured.host), estimated: pick(e.host) },
      ...measured.devices.map((d, i) => ({ name: d.name, measured: pick(d), estimated: pick(e.devices[i] ?? zero) })),
    ],
    repack: { measured: measured.hostExtras.filter((x) => x.name === 'CPU_REPACK').reduce((a, x) => a + x.modelMiB, 0), estimated: e.hostRepackMiB },
    dryRunMs: measured.ms,
    estimateMs,
  };
}

const DEFAULT = '';
const FA_OFF = '-fa off';
const Q8 = '-fa on -ctk q8_0 -ctv q8_0';
const Q4 = '-fa on -ctk q4_0 -ctv q4_0';

/** The CPU build's matrix: every component of host memory (a CPU machine has no device rows). */
export const CPU_MATRIX: readonly MatrixCase[] = [
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 8192, flags: FA_OFF },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 32768, flags: Q8 },
  { model: 'llama3-8b', quant: 'Q8_0', ctx: 8192, flags: DEFAULT },
  { model: 'llama3-8b', quant: 'Q8_0', ctx: 32768, flags: `${FA_OFF} -ub 256` },
  { model: 'llama3-8b', quant: 'F16', ctx: 4096, flags: Q4 },
  { model: 'llama3-8b', quant: 'Q4_0', ctx: 8192, flags: '-b 4096 -ub 1024' },
  { model: 'llama3-70b', quant: 'Q4_K_M', ctx: 8192, flags: DEFAULT },
  { model: 'llama3-70b', quant: 'Q4_K_M', ctx: 32768, flags: Q8 },
  { model: 'llama3-70b', quant: 'Q4_0', ctx: 4096, flags: FA_OFF },
  { model: 'llama3-70b', quant: 'Q8_0', ctx: 8192, flags: Q4 },
  { model: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 32768, flags: DEFAULT },
  { model: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 8192, flags: Q8 },
  { model: 'mixtral-8x7b', quant: 'Q4_0', ctx: 8192, flags: FA_OFF },
  { model: 'mixtral-8x7b', quant: 'F16', ctx: 8192, flags: '-ub 256' },
  { model: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 32768, flags: FA_OFF },
  { model: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 8192, flags: Q4 },
  { model: 'qwen3-30b-a3b', quant: 'Q8_0', ctx: 8192, flags: '-b 4096 -ub 1024' },
  { model: 'qwen3-30b-a3b', quant: 'F16', ctx: 32768, flags: Q8 },
  { model: 'qwen2.5-7b', quant: 'Q4_K_M', ctx: 8192, flags: FA_OFF },
  { model: 'qwen2.5-7b', quant: 'Q4_K_M', ctx: 8192, flags: Q8 },
  { model: 'qwen2.5-7b', quant: 'Q4_K_M', ctx: 16384, flags: `${Q4} -ub 256` },
  { model: 'gemma3-4b', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'gemma3-4b', quant: 'Q4_K_M', ctx: 8192, flags: FA_OFF },
  { model: 'gemma3-4b', quant: 'Q4_K_M', ctx: 8192, flags: Q8 },
  { model: 'gemma3-4b', quant: 'Q4_K_M', ctx: 16384, flags: `${Q4} -ub 256` },
  { model: 'phi3-mini', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'phi3-mini', quant: 'Q4_K_M', ctx: 8192, flags: FA_OFF },
  { model: 'phi3-mini', quant: 'Q4_K_M', ctx: 8192, flags: Q8 },
  { model: 'deepseek-v2-lite', quant: 'Q4_K_M', ctx: 4096, flags: DEFAULT },
  { model: 'deepseek-v2-lite', quant: 'Q4_K_M', ctx: 8192, flags: FA_OFF },
  { model: 'deepseek-v2-lite', quant: 'Q4_K_M', ctx: 16384, flags: `${Q4} -ub 256` },
  // Held back.
  { model: 'qwen2.5-7b', quant: 'Q8_0', ctx: 32768, flags: '-b 4096 -ub 1024', heldBack: true },
  { model: 'gemma3-4b', quant: 'Q8_0', ctx: 32768, flags: DEFAULT, heldBack: true },
  { model: 'gemma3-4b', quant: 'Q4_0', ctx: 8192, flags: `${FA_OFF} -ub 256`, heldBack: true },
  { model: 'phi3-mini', quant: 'Q4_0', ctx: 4096, flags: '-ub 128', heldBack: true },
  { model: 'deepseek-v2-lite', quant: 'Q8_0', ctx: 32768, flags: FA_OFF, heldBack: true },
  { model: 'deepseek-v2-lite', quant: 'Q4_0', ctx: 8192, flags: Q8, heldBack: true },
  { model: 'llama3-70b', quant: 'Q4_K_M', ctx: 16384, flags: '-b 4096 -ub 1024', heldBack: true },
  { model: 'mixtral-8x7b', quant: 'Q8_0', ctx: 16384, flags: Q4, heldBack: true },
];
