// The estimator-vs-dry-run matrix shared by test/integration/estimateVsDryRun.test.ts and the
// benchmark: real-shaped sparse models dry-run by this build's llama-fit-params on this machine's
// CPU, against estimateMemory with the same arguments.
import { join } from 'node:path';
import { dryRun } from '../../src/extension/llama/dryRun';
import { estimateMemory, type EstimateOptions } from '../../src/extension/memory/estimate';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { writeSparseModel, type SparsePreset, type SparseQuant } from '../../src/extension/gguf/writer/models';

export interface MatrixCase {
  preset: SparsePreset;
  quant: SparseQuant;
  ctx: number;
  /** Label of the variant: default (-fa auto), fa-off, q8_0, q4_0, ub256, ub1024. */
  variant: 'default' | 'fa-off' | 'q8_0' | 'q4_0' | 'ub256' | 'fa-off-ub256' | 'ub1024';
}

const VARIANTS: Record<MatrixCase['variant'], { args: string[]; options: Partial<EstimateOptions> }> = {
  default: { args: [], options: {} },
  'fa-off': { args: ['-fa', 'off'], options: { flashAttn: false } },
  q8_0: { args: ['-fa', 'on', '-ctk', 'q8_0', '-ctv', 'q8_0'], options: { cacheTypeK: 'q8_0', cacheTypeV: 'q8_0' } },
  q4_0: { args: ['-fa', 'on', '-ctk', 'q4_0', '-ctv', 'q4_0'], options: { cacheTypeK: 'q4_0', cacheTypeV: 'q4_0' } },
  ub256: { args: ['-ub', '256'], options: { ubatch: 256 } },
  'fa-off-ub256': { args: ['-fa', 'off', '-ub', '256'], options: { flashAttn: false, ubatch: 256 } },
  ub1024: { args: ['-b', '4096', '-ub', '1024'], options: { batch: 4096, ubatch: 1024 } },
};

export const MATRIX: MatrixCase[] = [
  { preset: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, variant: 'default' },
  { preset: 'llama3-8b', quant: 'Q4_K_M', ctx: 8192, variant: 'fa-off' },
  { preset: 'llama3-8b', quant: 'Q4_K_M', ctx: 32768, variant: 'q8_0' },
  { preset: 'llama3-8b', quant: 'Q8_0', ctx: 8192, variant: 'default' },
  { preset: 'llama3-8b', quant: 'Q8_0', ctx: 32768, variant: 'fa-off-ub256' },
  { preset: 'llama3-8b', quant: 'F16', ctx: 4096, variant: 'q4_0' },
  { preset: 'llama3-8b', quant: 'Q4_0', ctx: 8192, variant: 'ub1024' },
  { preset: 'llama3-70b', quant: 'Q4_K_M', ctx: 8192, variant: 'default' },
  { preset: 'llama3-70b', quant: 'Q4_K_M', ctx: 32768, variant: 'q8_0' },
  { preset: 'llama3-70b', quant: 'Q4_0', ctx: 4096, variant: 'fa-off' },
  { preset: 'llama3-70b', quant: 'Q8_0', ctx: 8192, variant: 'q4_0' },
  { preset: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 4096, variant: 'default' },
  { preset: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 32768, variant: 'default' },
  { preset: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 8192, variant: 'q8_0' },
  { preset: 'mixtral-8x7b', quant: 'Q4_0', ctx: 8192, variant: 'fa-off' },
  { preset: 'mixtral-8x7b', quant: 'F16', ctx: 8192, variant: 'ub256' },
  { preset: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 4096, variant: 'default' },
  { preset: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 32768, variant: 'fa-off' },
  { preset: 'qwen3-30b-a3b', quant: 'Q4_K_M', ctx: 8192, variant: 'q4_0' },
  { preset: 'qwen3-30b-a3b', quant: 'Q8_0', ctx: 8192, variant: 'ub1024' },
  { preset: 'qwen3-30b-a3b', quant: 'F16', ctx: 32768, variant: 'q8_0' },
];

export interface Components {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
  repackMiB: number;
}

export interface CaseResult {
  name: string;
  measured: Components;
  estimated: Components;
  dryRunMs: number;
  estimateMs: number;
}

export function caseName(c: MatrixCase): string {
  return `${c.preset} ${c.quant} ctx ${c.ctx} ${c.variant}`;
}

/**
 * Within tolerance: 5% of the measured value; for components under 64 MiB, 5% or 16 MiB, whichever
 * is larger. Plus 1 MiB, since llama.cpp prints whole MiB (truncated).
 */
export function tolerance(measuredMiB: number): number {
  return (measuredMiB < 64 ? Math.max(0.05 * measuredMiB, 16) : 0.05 * measuredMiB) + 1;
}

export function relativeError(estimated: number, measured: number): number {
  return measured === 0 ? (estimated === 0 ? 0 : Infinity) : (estimated - measured) / measured;
}

const written = new Map<string, Promise<string>>();

/** Writes (once per folder) the sparse stub for a case. */
export function stubFor(dir: string, c: MatrixCase): Promise<string> {
  const path = join(dir, `${c.preset}-${c.quant}.gguf`);
  let p = written.get(path);
  if (!p) {
    p = writeSparseModel(path, c.preset, { quant: c.quant }).then(() => path);
    written.set(path, p);
  }
  return p;
}

export async function runCase(fitParams: string, dir: string, c: MatrixCase): Promise<CaseResult> {
  const path = await stubFor(dir, c);
  const v = VARIANTS[c.variant];
  let measured;
  try {
    measured = await dryRun(fitParams, path, ['-c', String(c.ctx), ...v.args]);
  } catch {
    // One retry: a dry run on a busy 2-core machine has been seen to print no breakdown once.
    measured = await dryRun(fitParams, path, ['-c', String(c.ctx), ...v.args]);
  }
  const header = await readGgufHeader(path);
  const t = performance.now();
  const e = estimateMemory(header, { contextSize: c.ctx, ...v.options });
  const estimateMs = performance.now() - t;
  const repack = measured.hostExtras.filter((x) => x.name === 'CPU_REPACK').reduce((a, x) => a + x.modelMiB, 0);
  return {
    name: caseName(c),
    measured: { ...measured.host, repackMiB: repack },
    estimated: { ...e.host, repackMiB: e.hostRepackMiB },
    dryRunMs: measured.ms,
    estimateMs,
  };
}
