import type * as vscode from 'vscode';
import type { HardwareProbe } from '../../memory/hardware';
import type { VerdictFn } from '../../models/verdict';

/** What the model picker, the download command and the first-run path need. */
export interface ModelUiDeps {
  readonly secrets?: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
  readonly hardware: HardwareProbe;
  /** The interim size-based verdict until the planner provides one. */
  readonly verdict: VerdictFn;
}
