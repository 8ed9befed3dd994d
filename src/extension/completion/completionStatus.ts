// Whether completion runs now, and how the status bar says it: a pure function of the user's switch,
// the server and what the model's header says about FIM.

export type CompletionStatus =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'no-model' }
  | { readonly kind: 'no-fim'; readonly sentence: string }
  | { readonly kind: 'active'; readonly model: string };

export interface StatusItem {
  readonly text: string;
  readonly tooltip: string;
}

export function statusItem(status: CompletionStatus): StatusItem {
  switch (status.kind) {
    case 'disabled':
      return { text: '$(circle-slash) Complete', tooltip: 'Headroom code completion is off. Click to turn it on.' };
    case 'no-model':
      return { text: '$(sparkle) Complete', tooltip: 'Headroom code completion is on; it starts when the local model is ready. Click to turn it off.' };
    case 'no-fim':
      return { text: '$(warning) Complete', tooltip: `${status.sentence} Click to turn completion off.` };
    case 'active':
      return { text: '$(sparkle) Complete', tooltip: `Headroom completes code with ${status.model}. Click to turn it off.` };
  }
}
