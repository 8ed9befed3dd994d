// The plan across llama.cpp RPC workers: llama.cpp's own fit places the layers on the workers (each held to its
// budget through --fit-target, its per-device margin) and this machine's GPUs, the rest stays on the CPU; its dry
// run of the fitted arguments gives every device's MiB. Headroom's estimator knows no remote device, so here the
// build's measurement is the plan, not a check of it.
import { basename } from 'node:path';
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from '../memory/hardware';
import { modelShape } from '../memory/modelShape';
import { marginOf, ramMarginOf } from '../memory/offloadSearch';
import { DEFAULT_CONTEXT, plan } from '../memory/plan';
import type { PlanReport } from '../memory/planReport';
import type { Plan, PlanDevice, PlanWishes } from '../memory/planTypes';
import { formatGiB } from '../memory/formatGiB';
import { HeadroomError } from '../common/errors';
import { dryRun, type DryRunResult } from '../llama/dryRun';
import { listBuildDevices, type BuildDevice } from '../llama/listDevices';
import { rpcArgValue, workerAddress, type RpcWorker } from '../endpoints/rpcWorkers';
import { silentWorkers } from '../endpoints/workerProbe';
import { commandLine } from './exactPlan';

/** Workers that do not accept a connection, named, with how to start one. */
export class RpcWorkerUnreachableError extends HeadroomError {
  constructor(readonly addresses: readonly string[]) {
    super(
      `RPC worker${addresses.length === 1 ? '' : 's'} ${addresses.join(', ')} ${addresses.length === 1 ? 'does' : 'do'} not answer.`,
      'Start each one on its machine with `headroom worker --host ADDRESS --port PORT` (or llama.cpp\'s rpc-server), or remove it from headroom.rpcWorkers / --rpc.',
    );
    this.name = 'RpcWorkerUnreachableError';
  }
}

export interface RpcPlanInputs {
  modelPath: string;
  header: GgufHeader;
  /** This machine, with the GPUs the build can use (listDevices.gpusForBuild). */
  hardware: HardwareFacts;
  wishes: PlanWishes;
  workers: readonly RpcWorker[];
  /** llama-server of the build: it lists the workers' devices. */
  binary: string;
  fitParams: string;
  port?: number;
  extraArgs?: readonly string[];
}

/** The planner's flags that place layers; llama.cpp's fit chooses these across the workers instead. */
const PLACEMENT_FLAGS = new Map([['-ngl', 1], ['--fit', 1], ['-ts', 1], ['--n-cpu-moe', 1], ['--cpu-moe', 0]]);

function withoutPlacement(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const skip = PLACEMENT_FLAGS.get(args[i]!);
    if (skip === undefined) out.push(args[i]!);
    else i += skip;
  }
  return out;
}

/** A worker's margin: its free memory less its budget, or the plan's margin when it has no budget. */
function workerMargin(w: RpcWorker, device: BuildDevice | undefined, margin: number): number {
  if (w.budgetMiB === undefined || !device) return margin;
  return Math.max(0, device.freeMiB - w.budgetMiB);
}

const usedMiB = (d: { modelMiB: number; contextMiB: number; computeMiB: number }): number => d.modelMiB + d.contextMiB + d.computeMiB;

/** The placement: llama.cpp's fit for the margins, unless the user (or the recovery ladder) set -ngl. */
async function placement(inputs: RpcPlanInputs, common: readonly string[], targets: readonly number[]): Promise<{ args: string[]; fitted?: DryRunResult['fit'] }> {
  if (typeof inputs.wishes.gpuLayers === 'number') return { args: ['-ngl', String(inputs.wishes.gpuLayers)] };
  const fit = await dryRun(inputs.fitParams, inputs.modelPath, [...common, '--fit-target', targets.join(',')]);
  const f = fit.fit;
  if (!f) return { args: ['-ngl', '0'] };
  const args = ['-ngl', String(f.gpuLayers)];
  if (f.tensorSplit) args.push('-ts', f.tensorSplit.join(','));
  if (f.tensorOverrides) args.push('-ot', f.tensorOverrides.join(','));
  return { args, fitted: f };
}

/**
 * Plans `inputs.modelPath` across the RPC workers, this machine's GPUs and its CPU. The workers are asked first (one
 * connection each), so one that is down is named before llama.cpp would abort on it.
 */
export async function rpcPlan(inputs: RpcPlanInputs): Promise<PlanReport> {
  const silent = await silentWorkers(inputs.workers);
  if (silent.length > 0) throw new RpcWorkerUnreachableError(silent);
  const rpc = ['--rpc', rpcArgValue(inputs.workers)];
  const shape = modelShape(inputs.header);
  const contextSize = Math.min(inputs.wishes.contextSize ?? DEFAULT_CONTEXT, shape.nCtxTrain);
  // The estimator's choices that are not placement (cache types, flash attention, threads, mmap, batches).
  const base = plan(inputs.header, inputs.hardware, { ...inputs.wishes, contextSize });
  const common = [...rpc, ...withoutPlacement(base.args), '--ctx-size', String(contextSize)];
  const listed = await listBuildDevices(inputs.binary, rpc);
  const margin = marginOf(inputs.wishes);
  // llama.cpp puts the workers first, in --rpc order, then the local GPUs.
  const workerMargins = inputs.workers.map((w) => workerMargin(w, listed.find((d) => d.description === workerAddress(w)), margin));
  const targets = [...workerMargins, ...inputs.hardware.gpus.map(() => margin)];
  const placed = await placement(inputs, common, targets);
  const measured = await dryRun(inputs.fitParams, inputs.modelPath, [...common, ...placed.args, '--fit', 'off']);
  const devices: PlanDevice[] = measured.devices.map((d, i) => ({
    name: d.name,
    totalMiB: d.totalMiB,
    freeMiB: d.freeMiB,
    modelMiB: d.modelMiB,
    contextMiB: d.contextMiB,
    computeMiB: d.computeMiB,
    ...(i < inputs.workers.length ? { worker: workerAddress(inputs.workers[i]!), marginMiB: targets[i]! } : {}),
  }));
  const ramBudget = inputs.hardware.ramAvailableMiB - ramMarginOf(inputs.wishes);
  const warnings = shortfalls(devices, margin, measured, ramBudget);
  const gpuLayers = Number(placed.args[1]);
  const total = shape.nLayer + 1;
  const onDevices = Math.min(gpuLayers < 0 ? total : gpuLayers, total);
  const repack = measured.hostExtras.filter((e) => e.name.includes('REPACK')).reduce((sum, e) => sum + e.modelMiB, 0);
  const result: Plan = {
    ...base,
    source: 'dry-run',
    args: [...rpc, ...placed.args, '--fit', 'off', ...withoutPlacement(base.args)],
    devices,
    host: { modelMiB: measured.host.modelMiB, contextMiB: measured.host.contextMiB, computeMiB: measured.host.computeMiB },
    estimate: undefined,
    hostRepackMiB: repack,
    gpuLayers: { onGpu: onDevices, total },
    contextSize,
    tensorSplit: placed.fitted?.tensorSplit,
    fits: warnings.length === 0,
    reasons: reasons(inputs, devices, onDevices, total, contextSize, placed.fitted !== undefined),
    warnings,
  };
  return {
    plan: result,
    modelPath: inputs.modelPath,
    modelName: basename(inputs.modelPath),
    hardware: inputs.hardware,
    commandLine: commandLine(inputs.binary, inputs.modelPath, result, inputs.port || 8080, inputs.extraArgs),
    marginMiB: inputs.wishes.marginMiB,
    ramMarginMiB: inputs.wishes.ramMarginMiB,
    ...(placed.fitted && { llamaCppFit: placed.fitted }),
  };
}

function shortfalls(devices: readonly PlanDevice[], margin: number, measured: DryRunResult, ramBudget: number): string[] {
  const out: string[] = [];
  for (const d of devices) {
    const room = d.freeMiB - (d.marginMiB ?? margin);
    const need = usedMiB(d);
    if (need > room + 0.5) out.push(`${d.worker ? `RPC worker ${d.worker}` : d.name} needs ${formatGiB(need)}, ${formatGiB(room)} more than its ${d.worker ? 'budget' : 'free memory less the margin'} allows.`);
  }
  const host = usedMiB(measured.host);
  if (host > ramBudget + 0.5) {
    out.push(`RAM is ${formatGiB(host - ramBudget)} short: the layers the workers do not take stay on this machine's CPU and need ${formatGiB(host)} of the ${formatGiB(ramBudget)} available after the margin. Add a worker or give them larger budgets.`);
  }
  return out;
}

function reasons(inputs: RpcPlanInputs, devices: readonly PlanDevice[], onDevices: number, total: number, contextSize: number, fitted: boolean): string[] {
  const out = [`Context ${contextSize} tokens${inputs.wishes.contextSize ? ', as set' : ''}.`];
  const workers = devices.filter((d) => d.worker);
  const how = fitted ? "llama.cpp's fit put" : 'As set,';
  out.push(`${how} ${onDevices} of ${total} layers on ${workers.length} RPC worker${workers.length === 1 ? '' : 's'}${devices.length > workers.length ? ' and this machine\'s GPUs' : ''}; the other ${total - onDevices} run on this machine's CPU.`);
  for (const w of workers) {
    const budget = w.freeMiB - (w.marginMiB ?? 0);
    out.push(`RPC worker ${w.worker} (${w.name}): ${formatGiB(usedMiB(w))} of a ${formatGiB(budget)} budget (it reports ${formatGiB(w.freeMiB)} free; ${formatGiB(w.marginMiB ?? 0)} kept back).`);
  }
  return out;
}
