import { HeadroomError } from '../common/errors';
import { run } from '../common/run';
import type { LlamaCppFit } from '../memory/planTypes';
import { cleanEnv } from './childEnv';
import { abortFailure } from './logClassifier';

/** MiB per component, as llama.cpp's own memory breakdown prints them. */
export interface ComponentMiB {
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
}

export interface DeviceBreakdown extends ComponentMiB {
  /** Backend device name, e.g. "CUDA0". */
  name: string;
  description: string;
  totalMiB: number;
  freeMiB: number;
}

export interface MemoryBreakdown {
  devices: DeviceBreakdown[];
  /** Host memory: the host buffers plus host-resident extras such as CPU_REPACK. */
  host: ComponentMiB;
  /** The extra buffer types (CPU_REPACK, ...) that `host` already includes, for display. */
  hostExtras: (ComponentMiB & { name: string })[];
}

export interface DryRunResult extends MemoryBreakdown {
  /** What llama.cpp's fit chose; undefined when it could not fit (it prints nothing then). */
  fit: LlamaCppFit | undefined;
  /** Did the fit succeed (everything fits its margins)? */
  fits: boolean;
  ms: number;
}

const GPU_ROW = /\|\s+-\s+(\S+)\s+\((.*)\)\s+\|\s+(\d+)\s+=\s+(\d+)\s+\+\s+\(\s*(\d+)\s+=\s+(\d+)\s+\+\s+(\d+)\s+\+\s+(\d+)\s*\)\s+\+\s+(-?\d+)\s+\|/;
const OTHER_ROW = /\|\s+-\s+(\S+)\s+\|\s+(\d+)\s+=\s+(\d+)\s+\+\s+(\d+)\s+\+\s+(\d+)\s+\|/;

/**
 * Reads every `common_memory_breakdown_print` table in the output, in order. llama-fit-params prints
 * one for the arguments as given, then one per configuration it tries while fitting (when -ngl or the
 * context were left to it); llama-server prints one at exit.
 */
export function parseMemoryBreakdowns(text: string): MemoryBreakdown[] {
  const tables: MemoryBreakdown[] = [];
  let devices: DeviceBreakdown[] = [];
  let hostExtras: (ComponentMiB & { name: string })[] = [];
  let host: ComponentMiB | undefined;
  const finish = (): void => {
    if (host) {
      const total = hostExtras.reduce(
        (sum, e) => ({ modelMiB: sum.modelMiB + e.modelMiB, contextMiB: sum.contextMiB + e.contextMiB, computeMiB: sum.computeMiB + e.computeMiB }),
        host,
      );
      tables.push({ devices, host: total, hostExtras });
    }
    devices = [];
    hostExtras = [];
    host = undefined;
  };
  for (const line of text.split('\n')) {
    if (!line.includes('common_memory_breakdown_print')) continue;
    if (line.includes('memory breakdown [MiB]')) {
      finish();
      continue;
    }
    const gpu = GPU_ROW.exec(line);
    if (gpu) {
      // Every group of GPU_ROW is required, so a match has them all.
      devices.push({
        name: gpu[1]!,
        description: gpu[2]!,
        totalMiB: Number(gpu[3]),
        freeMiB: Number(gpu[4]),
        modelMiB: Number(gpu[6]),
        contextMiB: Number(gpu[7]),
        computeMiB: Number(gpu[8]),
      });
      continue;
    }
    const other = OTHER_ROW.exec(line);
    if (!other) continue;
    const row = { modelMiB: Number(other[3]), contextMiB: Number(other[4]), computeMiB: Number(other[5]) };
    if (other[1] === 'Host') host = row;
    else hostExtras.push({ name: other[1]!, ...row });
  }
  finish();
  return tables;
}

/** The first breakdown in the output: for llama-fit-params, the one of the arguments as given. */
export function parseMemoryBreakdown(text: string): MemoryBreakdown | undefined {
  return parseMemoryBreakdowns(text)[0];
}

/** Splits a command line on spaces, keeping double-quoted parts (llama-fit-params quotes -ot) whole, quotes removed. */
function splitArgs(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** The arguments llama-fit-params prints on stdout once its fit succeeded (`-c 4096 -ngl 48 ...`), as parsed. */
export function parseFittedArgs(stdout: string): LlamaCppFit | undefined {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^-c \d+ -ngl -?\d+/.test(l))
    .pop();
  if (!line) return undefined;
  const args = splitArgs(line);
  const value = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const fit: LlamaCppFit = { contextSize: Number(value('-c')), gpuLayers: Number(value('-ngl')), args };
  const split = value('-ts');
  if (split) fit.tensorSplit = split.split(',').map(Number);
  const overrides = value('-ot');
  // llama.cpp's own -ot parser splits on commas too.
  if (overrides) fit.tensorOverrides = overrides.split(',');
  return fit;
}

export interface DryRunOptions {
  /** Variables added to the cleaned environment (GGML_VK_VISIBLE_DEVICES=0 lets Vulkan use a CPU device such as lavapipe). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs llama.cpp's own dry run (llama-fit-params) for a model and arguments: it loads nothing, takes
 * a fraction of a second even for a 70B header, and measures exactly what this build would allocate.
 */
export async function dryRun(fitParams: string, modelPath: string, args: readonly string[], options: DryRunOptions = {}): Promise<DryRunResult> {
  const started = performance.now();
  const env = { ...cleanEnv(process.env), ...options.env };
  const result = await run(fitParams, ['--model', modelPath, ...args, '--log-verbosity', '4'], { timeoutMs: 120_000, env });
  const ms = performance.now() - started;
  const breakdown = parseMemoryBreakdown(result.stderr + result.stdout);
  if (!breakdown) {
    const lines = result.stderr.trim().split('\n');
    const aborted = abortFailure(lines, { code: result.code, signal: result.signal });
    if (aborted) throw new HeadroomError(`llama-fit-params could not plan ${modelPath}: ${aborted.message}`, undefined, { cause: new Error(result.stderr) });
    throw new HeadroomError(`llama-fit-params could not plan ${modelPath} (exit ${result.code ?? result.signal}).`, lines.slice(-5).join('\n'));
  }
  return {
    ...breakdown,
    fit: parseFittedArgs(result.stdout),
    fits: result.code === 0 && /successfully fit params/.test(result.stderr),
    ms,
  };
}
