import { basename } from 'node:path';
import { formatCommandLine } from '../common/commandLine';
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from '../memory/hardware';
import { describeModel } from '../gguf/describe';
import { modelShape, isMoe } from '../memory/modelShape';
import { marginOf, ramMarginOf } from '../memory/offloadSearch';
import { plan } from '../memory/plan';
import type { PlanReport } from '../memory/planReport';
import type { MemoryParts, Plan, PlanWishes } from '../memory/planTypes';
import { ramFitAdvice } from '../memory/ramAdvice';
import { dryRun, type DryRunResult } from '../llama/dryRun';
import type { RecoveryOverrides } from './recoveryLadder';
import { buildServerArgs } from '../llama/serverArgs';
import type { PlannedLaunch } from './recovery';

export interface ExactPlanInputs {
  modelPath: string;
  header: GgufHeader;
  hardware: HardwareFacts;
  wishes: PlanWishes;
  /** llama-fit-params of the build in use; without it (or with simulated GPUs) the plan is an estimate. */
  fitParams?: string;
  /** The dry run of a plan: llama-fit-params of `fitParams` when not given (tests give their own). */
  measure?: (p: Plan) => Promise<DryRunResult>;
  /** llama-server, for the command line shown to the user. */
  binary?: string;
  port?: number;
  extraArgs?: readonly string[];
}

const MAX_REFITS = 3;
/** The least a GPU's margin widens by when the dry run shows it over budget. */
const MIN_MARGIN_STEP_MIB = 64;
/** Measured MiB are whole numbers; less than this over a budget is rounding, not a shortfall. */
const ROUNDING_MIB = 0.5;

const partsOf = (c: MemoryParts): MemoryParts => ({ modelMiB: c.modelMiB, contextMiB: c.contextMiB, computeMiB: c.computeMiB });
const sum = (c: MemoryParts): number => c.modelMiB + c.contextMiB + c.computeMiB;

/** The dry run's numbers (and backend names: CUDA0, Vulkan0) replace the estimate's, which stay beside them: they are what this exact build will allocate. */
function withMeasurements(p: Plan, measured: DryRunResult): Plan {
  const devices = p.devices.map((d, i) => {
    const m = measured.devices[i];
    return m ? { name: m.name, totalMiB: m.totalMiB, freeMiB: m.freeMiB, ...partsOf(m) } : d;
  });
  const repack = measured.hostExtras.filter((e) => e.name.includes('REPACK')).reduce((total, e) => total + e.modelMiB, 0);
  const estimate = { devices: p.devices.map(partsOf), host: partsOf(p.host) };
  return { ...p, source: 'dry-run', devices, host: partsOf(measured.host), estimate, hostRepackMiB: repack };
}

/** The command line that starts exactly this plan, quoted for `platform`'s shell; the key travels in the environment, as Headroom passes it. */
export function commandLine(binary: string, modelPath: string, p: Plan, port: number, extraArgs: readonly string[] = [], platform: NodeJS.Platform = process.platform): string {
  const args = buildServerArgs({ modelPath, port, contextSize: p.contextSize, planArgs: p.args, extraArgs });
  return formatCommandLine({ LLAMA_API_KEY: '<key>' }, [binary, ...args], platform);
}

/** How much of the model is on the GPU(s): layers first, then how few layers keep their experts in RAM. */
function gpuShare(p: Plan): [number, number] {
  return [p.gpuLayers.onGpu, -p.cpuMoeLayers];
}

function moreOnGpu(a: Plan, b: Plan): boolean {
  const [la, ea] = gpuShare(a);
  const [lb, eb] = gpuShare(b);
  return la > lb || (la === lb && ea > eb);
}

/** One plan of the refit loop as measured, with the wishes it was planned with. */
interface Measured {
  wishes: PlanWishes;
  result: DryRunResult;
}

/** Per GPU, measured MiB over its free memory less the user's margin (negative: room left). */
function gpuOverMiB(result: DryRunResult, hardware: HardwareFacts, marginMiB: number): number[] {
  return hardware.gpus.map((g, i) => {
    const d = result.devices[i];
    return (d ? sum(d) : 0) - (g.freeMiB - marginMiB);
  });
}

/**
 * Plans with the estimator, then checks the plan with llama.cpp's own dry run of the same build and keeps the
 * measured numbers, beside the estimate's. The plan is made again (a few times at most) when the measurement shows:
 * - a GPU over its budget: the estimator's error there widens the margin the search plans with, so fewer layers go on it;
 * - RAM short while the GPUs have room: the room the estimator did not see narrows that margin, so more goes on the GPU.
 *   A RAM shortfall never moves work off the GPU; when nothing more fits there, the plan advises a smaller quant or context.
 * The reasons and warnings are then said from the measurement.
 */
export async function exactPlan(inputs: ExactPlanInputs): Promise<PlanReport> {
  const { header, hardware } = inputs;
  const userMargin = marginOf(inputs.wishes);
  const ramBudget = hardware.ramAvailableMiB - ramMarginOf(inputs.wishes);
  const measure = inputs.measure ?? (inputs.fitParams ? fitParamsDryRun(inputs.fitParams, inputs.modelPath) : undefined);
  let wishes = inputs.wishes;
  let current = plan(header, hardware, wishes);
  let kept: Measured | undefined;
  if (measure) {
    const offloadSet = typeof wishes.gpuLayers === 'number' || typeof wishes.cpuMoeLayers === 'number';
    let towardGpu = false;
    for (let refit = 0; ; refit++) {
      const result = await measure(current);
      const over = Math.max(-Infinity, ...gpuOverMiB(result, hardware, userMargin));
      // Moving toward the GPU overfilled it: the previous plan, which fit the GPU, stands.
      if (towardGpu && over > ROUNDING_MIB) break;
      kept = { wishes, result };
      if (offloadSet || refit >= MAX_REFITS) break;
      const margin = marginOf(wishes);
      if (over > ROUNDING_MIB) {
        if (current.gpuLayers.onGpu === 0) break;
        wishes = { ...wishes, marginMiB: margin + Math.max(MIN_MARGIN_STEP_MIB, Math.ceil(over)) };
        towardGpu = false;
      } else if (sum(result.host) > ramBudget + ROUNDING_MIB && hardware.gpus.length > 0 && over < 0) {
        wishes = { ...wishes, marginMiB: margin + Math.floor(over) };
        towardGpu = true;
      } else break;
      const next = plan(header, hardware, wishes);
      if (towardGpu && !moreOnGpu(next, current)) break;
      current = next;
    }
  }
  const final = kept ? measuredPlan(inputs, kept) : current;
  return {
    plan: final,
    modelPath: inputs.modelPath,
    modelName: basename(inputs.modelPath),
    hardware,
    commandLine: commandLine(inputs.binary ?? 'llama-server', inputs.modelPath, final, inputs.port || 8080, inputs.extraArgs),
    marginMiB: inputs.wishes.marginMiB,
    ramMarginMiB: inputs.wishes.ramMarginMiB,
    ...(kept?.result.fit && { llamaCppFit: kept.result.fit }),
  };
}

/** The kept plan with the measured numbers, its reasons and warnings said from them, and advice when RAM is short. */
function measuredPlan(inputs: ExactPlanInputs, kept: Measured): Plan {
  const measurement = { devices: kept.result.devices, host: kept.result.host, marginMiB: inputs.wishes.marginMiB, ramMarginMiB: inputs.wishes.ramMarginMiB };
  // The same inputs as the measured plan, so the same choices; only what the sentences quote differs.
  const said = withMeasurements(plan(inputs.header, inputs.hardware, kept.wishes, measurement), kept.result);
  const advice = ramFitAdvice(said, inputs.hardware, describeModel(inputs.header), ramMarginOf(inputs.wishes));
  return advice ? { ...said, warnings: [...said.warnings, advice] } : said;
}

/** llama-fit-params's dry run of a plan's arguments. */
function fitParamsDryRun(fitParams: string, modelPath: string): (p: Plan) => Promise<DryRunResult> {
  return (p) => dryRun(fitParams, modelPath, [...p.args, '--ctx-size', String(p.contextSize)]);
}

/** The user's wishes with the recovery ladder's overrides on top (overrides win). */
export function wishesWith(wishes: PlanWishes, o: RecoveryOverrides): PlanWishes {
  // The overrides' keys are PlanWishes keys; only those the ladder has set replace the user's.
  const set: RecoveryOverrides = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { ...wishes, ...set };
}

/** What the supervisor and the recovery ladder need from a plan. */
export function launchFromPlan(report: PlanReport, header: GgufHeader): PlannedLaunch {
  const p = report.plan;
  return {
    planArgs: p.args,
    contextSize: p.contextSize,
    shape: {
      gpuLayers: p.gpuLayers.onGpu,
      totalLayers: p.gpuLayers.total,
      cpuMoeLayers: p.cpuMoeLayers,
      isMoe: isMoe(modelShape(header)),
      ubatch: p.ubatch,
      cacheType: p.cacheTypeK,
      contextSize: p.contextSize,
    },
  };
}
