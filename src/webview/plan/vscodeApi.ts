import type { PlanWebviewToHost } from '../protocol/plan';

interface VsCodeApi {
  postMessage(message: unknown): void;
}

// Injected by VS Code into every webview; callable once per page.
declare const acquireVsCodeApi: () => VsCodeApi;

export interface PlanHost {
  post(message: PlanWebviewToHost): void;
}

export function connectToHost(): PlanHost {
  const api = acquireVsCodeApi();
  return { post: (message) => api.postMessage(message) };
}
