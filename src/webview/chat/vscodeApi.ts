import type { WebviewToHost } from '../protocol/chat';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

// Injected by VS Code into every webview; callable once per page.
declare const acquireVsCodeApi: () => VsCodeApi;

interface WebviewState {
  draft: string;
}

export interface ChatHost {
  post(message: WebviewToHost): void;
  /** The unsent draft saved before the view was last hidden. */
  loadDraft(): string;
  saveDraft(draft: string): void;
}

function isWebviewState(value: unknown): value is WebviewState {
  return typeof value === 'object' && value !== null && typeof (value as { draft?: unknown }).draft === 'string';
}

export function connectToHost(): ChatHost {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    loadDraft: () => {
      const state = api.getState();
      return isWebviewState(state) ? state.draft : '';
    },
    saveDraft: (draft) => api.setState({ draft } satisfies WebviewState),
  };
}
