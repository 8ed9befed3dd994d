// The memory planner's verdict for a model on this machine; the size-based one stands in only when
// the header could not be planned (a catalogue entry, an architecture the planner does not know).
import type { HardwareFacts } from '../memory/hardware';
import { gpusForBuild, type BuildDevice } from '../llama/listDevices';
import { budgetShortfalls, plan } from '../memory/plan';
import type { Plan } from '../memory/planTypes';
import { sizeVerdict, type Verdict, type VerdictFn } from './verdict';

/**
 * The machine as a verdict judges it: the GPUs of the build's own device list (Metal, Vulkan, ROCm as well as CUDA),
 * as the planner sees them, with live numbers where the sample has them; the sample alone when there is no build to
 * ask (undefined). The sample's GPUs come from nvidia-smi and sysfs only, so a Mac would judge every model "on CPU".
 */
export function verdictHardware(facts: HardwareFacts, buildDevices: readonly BuildDevice[] | undefined): HardwareFacts {
  return buildDevices === undefined ? facts : gpusForBuild(facts, buildDevices);
}

export function verdictFromPlan(p: Plan, hardware: HardwareFacts): Verdict {
  const { onGpu, total } = p.gpuLayers;
  const base = { gpuLayers: onGpu, totalLayers: total };
  if (!p.fits) {
    const short = budgetShortfalls(p, hardware).join('; ');
    return { kind: 'no-fit', text: `does not fit${short ? `: ${short}` : ''}`, ...base };
  }
  if (hardware.gpus.length === 0 || onGpu === 0) return { kind: 'cpu', text: hardware.gpus.length ? 'on CPU (too big for the GPU)' : 'on CPU (RAM)', ...base };
  const experts = p.cpuMoeLayers > 0 ? `, experts of ${p.cpuMoeLayers} layers in RAM` : '';
  if (onGpu === total && p.cpuMoeLayers === 0) return { kind: 'gpu', text: 'fully on GPU', ...base };
  return { kind: 'partial', text: `${onGpu}/${total} layers on GPU${experts}`, ...base };
}

export const planVerdict: VerdictFn = (model, hardware) => {
  if (!model.shape) return sizeVerdict(model, hardware);
  try {
    return verdictFromPlan(plan(model.shape, hardware), hardware);
  } catch {
    return sizeVerdict(model, hardware);
  }
};
