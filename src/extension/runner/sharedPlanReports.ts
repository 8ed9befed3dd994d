// `headroom plan CHAT --completion-model SMALL`: both servers' plans as reports, from the estimate (a
// llama.cpp dry run measures one model on an empty machine, not one beside another).
import { basename } from 'node:path';
import { formatCommandLine } from '../common/commandLine';
import { readModelHeader } from '../llama/createSupervisor';
import type { HardwareFacts } from '../memory/hardware';
import type { PlanReport } from '../memory/planReport';
import { COMPLETION_CONTEXT, planWithCompletion } from '../memory/sharedPlan';
import type { Plan, PlanWishes } from '../memory/planTypes';

export interface SharedPlanReports {
  readonly completion: PlanReport;
  readonly chat: PlanReport;
}

function report(modelPath: string, plan: Plan, hardware: HardwareFacts, wishes: PlanWishes): PlanReport {
  const argv = ['llama-server', '--model', modelPath, ...plan.args, '--ctx-size', String(plan.contextSize)];
  return {
    plan,
    modelPath,
    modelName: basename(modelPath),
    hardware,
    commandLine: formatCommandLine({ LLAMA_API_KEY: '<key>' }, argv),
    marginMiB: wishes.marginMiB,
    ramMarginMiB: wishes.ramMarginMiB,
  };
}

export async function sharedPlanReports(chatPath: string, completionPath: string, hardware: HardwareFacts, chatWishes: PlanWishes): Promise<SharedPlanReports> {
  const [chat, completion] = await Promise.all([readModelHeader(chatPath), readModelHeader(completionPath)]);
  const completionWishes: PlanWishes = { contextSize: COMPLETION_CONTEXT, marginMiB: chatWishes.marginMiB, ramMarginMiB: chatWishes.ramMarginMiB };
  const shared = planWithCompletion(chat, completion, hardware, chatWishes, completionWishes);
  return {
    completion: report(completionPath, shared.completion, hardware, completionWishes),
    chat: report(chatPath, shared.chat, shared.chatHardware, chatWishes),
  };
}
