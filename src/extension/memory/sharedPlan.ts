// Two servers on one machine: a small completion model beside the chat model. The completion model is
// planned first, on the whole machine (it is small and answers on every pause in typing, so it gets the
// GPU first); what it takes per GPU and in RAM comes off the machine the chat model is then planned on.
import type { GgufHeader } from '../gguf/header';
import type { HardwareFacts } from './hardware';
import type { ModelShape } from './modelShape';
import { plan } from './plan';
import type { MemoryParts, Plan, PlanWishes } from './planTypes';

/** A completion prompt is the cursor's window plus a few extra chunks: 4096 tokens hold llama.vscode's defaults. */
export const COMPLETION_CONTEXT = 4096;

export interface SharedPlan {
  readonly completion: Plan;
  readonly chat: Plan;
  /** The machine as the chat model was planned on: the completion server's footprint taken off. */
  readonly chatHardware: HardwareFacts;
}

const total = (p: MemoryParts): number => p.modelMiB + p.contextMiB + p.computeMiB;

/** `hardware` with `taken`'s memory in use: per GPU (in the plan's order, which is the hardware's) and in RAM. */
export function hardwareWithout(hardware: HardwareFacts, taken: Plan): HardwareFacts {
  return {
    ...hardware,
    gpus: hardware.gpus.map((gpu, i) => {
      const device = taken.devices[i];
      const used = device ? Math.ceil(total(device)) : 0;
      return { ...gpu, freeMiB: Math.max(0, gpu.freeMiB - used), usedMiB: gpu.usedMiB + used };
    }),
    ramAvailableMiB: Math.max(0, hardware.ramAvailableMiB - Math.ceil(total(taken.host))),
  };
}

export function planWithCompletion(
  chat: GgufHeader | ModelShape,
  completion: GgufHeader | ModelShape,
  hardware: HardwareFacts,
  chatWishes: PlanWishes = {},
  completionWishes: PlanWishes = { contextSize: COMPLETION_CONTEXT },
): SharedPlan {
  const completionPlan = plan(completion, hardware, completionWishes);
  const chatHardware = hardwareWithout(hardware, completionPlan);
  return { completion: completionPlan, chat: plan(chat, chatHardware, chatWishes), chatHardware };
}
