import type { HardwareFacts } from './hardware';
import type { LlamaCppFit, Plan } from './planTypes';

/** A plan together with what it was made for: what the plan panel, the status bar and `headroom plan` show. */
export interface PlanReport {
  plan: Plan;
  modelPath: string;
  modelName: string;
  hardware: HardwareFacts;
  /** The exact llama-server command line, copyable, with the real binary path, no API key. */
  commandLine: string;
  /** Memory kept free on each GPU, MiB; the planner's default (1024) when absent. */
  marginMiB?: number;
  /** Memory kept free in RAM, MiB; the planner's default (1024) when absent. */
  ramMarginMiB?: number;
  /** What llama.cpp's own fit chose for the plan's arguments; absent without a dry run or when its fit failed. */
  llamaCppFit?: LlamaCppFit;
}
