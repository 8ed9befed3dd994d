// Two servers on one machine: a small completion model beside the chat model. The completion model is
// planned first, on the whole machine (it is small and answers on every pause in typing, so it gets the
// GPU first); what it takes per GPU and in RAM comes off the machine the chat model is then planned on.
import type { GgufHeader } from '../gguf/header';
import { formatGiB } from './formatGiB';
import type { GpuFacts, HardwareFacts } from './hardware';
import type { ModelShape } from './modelShape';
import { plan } from './plan';
import type { MemoryParts, Plan, PlanWishes } from './planTypes';

/** A completion prompt is the cursor's window plus a few extra chunks: 4096 tokens hold llama.vscode's defaults. */
export const COMPLETION_CONTEXT = 4096;

/** Memory another server of ours holds (or is about to): taken off the machine before a plan is made. */
export interface Reservation {
  /** MiB per GPU, in the hardware's order. */
  readonly gpuMiB: readonly number[];
  readonly ramMiB: number;
  /** Who holds it, said in the plan's reasons: "the completion model". */
  readonly holder: string;
}

export interface SharedPlan {
  readonly completion: Plan;
  readonly chat: Plan;
  /** The machine as the chat model was planned on: the completion server's footprint taken off. */
  readonly chatHardware: HardwareFacts;
}

const total = (p: MemoryParts): number => p.modelMiB + p.contextMiB + p.computeMiB;

/** What `taken` (a plan, measured or estimated) holds per GPU and in RAM, rounded up to whole MiB. */
export function reservationOf(taken: Plan, holder: string): Reservation {
  return { gpuMiB: taken.devices.map((d) => Math.ceil(total(d))), ramMiB: Math.ceil(total(taken.host)), holder };
}

/**
 * The part of a running server's reservation a fresh sample of the machine does not show in use yet: nvidia-smi
 * counts the VRAM the process holds (`heldVramMiB`, by nvidia-smi's GPU index) as used already, so only the rest is
 * kept free again. RAM stays whole: the mmapped weights count as available (reclaimable page cache) until evicted.
 */
export function notYetVisible(reserved: Reservation, gpus: readonly GpuFacts[], heldVramMiB: ReadonlyMap<number, number>): Reservation {
  return {
    ...reserved,
    gpuMiB: reserved.gpuMiB.map((mib, i) => {
      const gpu = gpus[i];
      const seen = gpu && (gpu.source ?? 'nvidia-smi') === 'nvidia-smi' ? (heldVramMiB.get(gpu.index) ?? 0) : 0;
      return Math.max(0, mib - seen);
    }),
  };
}

/** `hardware` with the reservation's memory in use: per GPU and in RAM. */
export function hardwareWithout(hardware: HardwareFacts, reserved: Reservation): HardwareFacts {
  return {
    ...hardware,
    gpus: hardware.gpus.map((gpu, i) => {
      const used = reserved.gpuMiB[i] ?? 0;
      return { ...gpu, freeMiB: Math.max(0, gpu.freeMiB - used), usedMiB: gpu.usedMiB + used };
    }),
    ramAvailableMiB: Math.max(0, hardware.ramAvailableMiB - reserved.ramMiB),
  };
}

/** A small completion model holds a few hundred MiB, which GiB with one decimal would round to nothing. */
const amount = (mib: number): string => (mib < 1024 ? `${mib} MiB` : formatGiB(mib));

/** The plan's reason for what it could not use: "1.1 GiB kept for the completion model (384 MiB in RAM, 768 MiB on the GPU)." */
export function reservationReason(reserved: Reservation): string {
  const gpu = reserved.gpuMiB.reduce((a, b) => a + b, 0);
  const parts = [`${amount(reserved.ramMiB)} in RAM`, ...(gpu > 0 ? [`${amount(gpu)} on the GPU${reserved.gpuMiB.length > 1 ? 's' : ''}`] : [])];
  return `${amount(reserved.ramMiB + gpu)} kept for ${reserved.holder} (${parts.join(', ')}).`;
}

export function planWithCompletion(
  chat: GgufHeader | ModelShape,
  completion: GgufHeader | ModelShape,
  hardware: HardwareFacts,
  chatWishes: PlanWishes = {},
  completionWishes: PlanWishes = { contextSize: COMPLETION_CONTEXT },
): SharedPlan {
  const completionPlan = plan(completion, hardware, completionWishes);
  const reserved = reservationOf(completionPlan, 'the completion model');
  const chatHardware = hardwareWithout(hardware, reserved);
  const chatPlan = plan(chat, chatHardware, chatWishes);
  return { completion: completionPlan, chat: { ...chatPlan, reasons: [reservationReason(reserved), ...chatPlan.reasons] }, chatHardware };
}
