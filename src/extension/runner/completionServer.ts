// The second server: a small FIM model for code completion beside the chat model. It is started first and
// its footprint (the dry run's numbers where the build has llama-fit-params) is what the chat plan keeps free.
import type { HardwareProbe } from '../memory/hardware';
import { COMPLETION_CONTEXT, notYetVisible, reservationOf, type Reservation } from '../memory/sharedPlan';
import type { PlanWishes } from '../memory/planTypes';
import type { ReadyServer } from '../llama/supervisor';
import type { ModelRunner, RunRequest } from './modelRunner';

/** One slot: editor completions come one at a time (the next keystroke cancels), and 4 slots split 4096 tokens into 1024 each, which /infill overflows. */
export const COMPLETION_SERVER_ARGS: readonly string[] = ['--parallel', '1'];

export const COMPLETION_HOLDER = 'the completion model';

/** The completion server's start: its small context, one slot, the user's margins. */
export function completionRunRequest(modelPath: string, chatWishes: PlanWishes = {}, port = 0): RunRequest {
  return {
    modelPath,
    wishes: { contextSize: COMPLETION_CONTEXT, marginMiB: chatWishes.marginMiB, ramMarginMiB: chatWishes.ramMarginMiB },
    port,
    extraArgs: COMPLETION_SERVER_ARGS,
  };
}

/**
 * What the chat model must leave free for the completion server `runner` runs: its plan's footprint, less the
 * VRAM the machine's sample already shows it holding; none when it has no plan.
 */
export async function completionReservation(runner: ModelRunner, probe: HardwareProbe): Promise<Reservation | undefined> {
  const report = runner.plan;
  const server = runner.supervisor.server;
  if (!report) return undefined;
  const reserved = reservationOf(report.plan, COMPLETION_HOLDER);
  return server ? notYetVisible(reserved, report.hardware.gpus, await probe.processVramMiB(server.pid)) : reserved;
}

/** Starts the completion server and says what the chat plan must keep free for it. */
export async function startCompletionServer(runner: ModelRunner, request: RunRequest, probe: HardwareProbe): Promise<{ server: ReadyServer; reserved: Reservation }> {
  const { server } = await runner.start(request);
  const reserved = await completionReservation(runner, probe);
  if (!reserved) throw new Error('the completion server started without a plan');
  return { server, reserved };
}
