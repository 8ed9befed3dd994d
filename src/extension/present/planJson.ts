import type { PlanReport } from '../memory/planReport';
import type { MemoryParts } from '../memory/planTypes';

const parts = (c: MemoryParts): MemoryParts => ({ modelMiB: c.modelMiB, contextMiB: c.contextMiB, computeMiB: c.computeMiB });

/** The numbers (measured after a dry run) with Headroom's estimate beside them; without a dry run the two are the same. */
const withEstimate = (c: MemoryParts, estimate: MemoryParts | undefined): MemoryParts & { estimate: MemoryParts } => ({ ...parts(c), estimate: parts(estimate ?? c) });

/** `headroom plan --json`: the documented contract (issue 3) plus extra fields; keep the documented ones. */
export function planJson(report: PlanReport): Record<string, unknown> {
  const p = report.plan;
  return {
    source: p.source,
    args: ['--ctx-size', String(p.contextSize), ...p.args],
    devices: p.devices.map((d, i) => ({
      name: d.name,
      totalMiB: d.totalMiB,
      freeMiB: d.freeMiB,
      ...withEstimate(d, p.estimate?.devices[i]),
      // An RPC worker: its host:port and the MiB it may use (its free memory less its own margin).
      ...(d.worker !== undefined && { worker: d.worker, budgetMiB: d.freeMiB - (d.marginMiB ?? 0) }),
    })),
    host: withEstimate(p.host, p.estimate?.host),
    gpuLayers: p.gpuLayers,
    contextSize: p.contextSize,
    cacheTypeK: p.cacheTypeK,
    cacheTypeV: p.cacheTypeV,
    flashAttn: p.flashAttn,
    threads: p.threads,
    mmap: p.mmap,
    cpuMoeLayers: p.cpuMoeLayers,
    hostRepackMiB: p.hostRepackMiB,
    fits: p.fits,
    reasons: p.reasons,
    warnings: p.warnings,
    model: report.modelPath,
    commandLine: report.commandLine,
    ramTotalMiB: report.hardware.ramTotalMiB,
    ramAvailableMiB: report.hardware.ramAvailableMiB,
    // What llama.cpp's own fit chose, exactly as llama-fit-params printed it; null without a dry run or when its fit failed.
    llamaCppFit: report.llamaCppFit ?? null,
  };
}
