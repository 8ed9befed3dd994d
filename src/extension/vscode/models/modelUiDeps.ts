import type * as vscode from 'vscode';
import type { HardwareProbe } from '../../memory/hardware';
import type { BuildDevice } from '../../llama/listDevices';
import type { VerdictFn } from '../../models/verdict';

/** What the model picker, the download command and the first-run path need. */
export interface ModelUiDeps {
  readonly secrets?: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
  readonly hardware: HardwareProbe;
  /** The devices of the llama-server build that would run the model; undefined when none is built or found. */
  readonly buildDevices: () => Promise<readonly BuildDevice[] | undefined>;
  /** The interim size-based verdict until the planner provides one. */
  readonly verdict: VerdictFn;
}
