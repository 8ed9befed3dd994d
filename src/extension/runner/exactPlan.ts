import { basename } from 'node:path';
import { formatCommandLine } from '../common/commandLine';
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from '../memory/hardware';
import { modelShape, isMoe } from '../memory/modelShape';
import { budgetShortfalls, plan } from '../memory/plan';
import type { PlanReport } from '../memory/planReport';
import type { LlamaCppFit, Plan, PlanWishes } from '../memory/planTypes';
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
  /** llama-server, for the command line shown to the user. */
  binary?: string;
  port?: number;
  extraArgs?: readonly string[];
}

const MAX_REFITS = 3;

/** The dry run's numbers replace the estimate's: they are what this exact build will allocate. */
function withMeasurements(p: Plan, measured: DryRunResult): Plan {
  const devices = p.devices.map((d, i) => {
    const m = measured.devices[i];
    return m ? { ...d, totalMiB: m.totalMiB, freeMiB: m.freeMiB, modelMiB: m.modelMiB, contextMiB: m.contextMiB, computeMiB: m.computeMiB } : d;
  });
  const repack = measured.hostExtras.filter((e) => e.name.includes('REPACK')).reduce((sum, e) => sum + e.modelMiB, 0);
  return { ...p, source: 'dry-run', devices, host: measured.host, hostRepackMiB: repack };
}

/** The command line that starts exactly this plan, quoted for `platform`'s shell; the key travels in the environment, as Headroom passes it. */
export function commandLine(binary: string, modelPath: string, p: Plan, port: number, extraArgs: readonly string[] = [], platform: NodeJS.Platform = process.platform): string {
  const args = buildServerArgs({ modelPath, port, contextSize: p.contextSize, planArgs: p.args, extraArgs });
  return formatCommandLine({ LLAMA_API_KEY: '<key>' }, [binary, ...args], platform);
}

/**
 * Plans with the estimator, then checks the plan with llama.cpp's own dry run of the same build and
 * keeps the measured numbers. When the measurement shows a device over its budget, the estimator's
 * error is added to that margin and the plan is made again (a few times at most).
 */
export async function exactPlan(inputs: ExactPlanInputs): Promise<PlanReport> {
  let wishes = inputs.wishes;
  let current = plan(inputs.header, inputs.hardware, wishes);
  let llamaCppFit: LlamaCppFit | undefined;
  if (inputs.fitParams) {
    for (let refit = 0; ; refit++) {
      const result = await dryRun(inputs.fitParams, inputs.modelPath, [...current.args, '--ctx-size', String(current.contextSize)]);
      llamaCppFit = result.fit;
      const measured = withMeasurements(current, result);
      const over = budgetShortfalls(measured, inputs.hardware, wishes);
      const offloadSet = typeof wishes.gpuLayers === 'number' || typeof wishes.cpuMoeLayers === 'number';
      if (over.length === 0 || offloadSet || refit >= MAX_REFITS || measured.gpuLayers.onGpu === 0) {
        current = { ...measured, fits: over.length === 0, warnings: over.length ? [...measured.warnings, ...over.map((o) => `Measured: ${o}.`)] : measured.warnings };
        break;
      }
      const worst = Math.max(
        ...measured.devices.map((d, i) => d.modelMiB + d.contextMiB + d.computeMiB - ((inputs.hardware.gpus[i]?.freeMiB ?? 0) - (wishes.marginMiB ?? 1024))),
      );
      wishes = { ...wishes, marginMiB: (wishes.marginMiB ?? 1024) + Math.max(64, Math.ceil(worst)) };
      current = plan(inputs.header, inputs.hardware, wishes);
    }
  }
  return {
    plan: current,
    modelPath: inputs.modelPath,
    modelName: basename(inputs.modelPath),
    hardware: inputs.hardware,
    commandLine: commandLine(inputs.binary ?? 'llama-server', inputs.modelPath, current, inputs.port || 8080, inputs.extraArgs),
    marginMiB: inputs.wishes.marginMiB,
    ramMarginMiB: inputs.wishes.ramMarginMiB,
    ...(llamaCppFit && { llamaCppFit }),
  };
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
