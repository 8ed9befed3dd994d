// How a server Headroom does not start is shown: the chat header, the status bar, the plan panel. It
// manages its own memory, so no numbers are shown for it, only who manages it.
import { errorMessage } from '../common/errors';
import { KIND_LABEL, type EndpointInfo, type EndpointModel } from '../endpoints/endpoint';
import type { ServerView } from '../../webview/protocol/chat';

export type EndpointState =
  | { readonly kind: 'connecting'; readonly baseUrl: string }
  | { readonly kind: 'ready'; readonly baseUrl: string; readonly info: EndpointInfo; readonly model: EndpointModel }
  | { readonly kind: 'failed'; readonly baseUrl: string; readonly error: unknown };

/** A model id that is a file path (llama-server names its model by the path it loaded) is shown by its file name. */
export function modelLabel(id: string): string {
  return /\.gguf$/i.test(id) ? id.slice(Math.max(id.lastIndexOf('/'), id.lastIndexOf('\\')) + 1) : id;
}

/** "managed by Ollama at http://127.0.0.1:11434" */
export function managedBy(state: EndpointState): string {
  const who = state.kind === 'ready' ? KIND_LABEL[state.info.kind] : 'a running server';
  return `managed by ${who} at ${state.baseUrl}`;
}

export function endpointServerView(state: EndpointState): ServerView {
  if (state.kind === 'connecting') return { kind: 'starting', label: `connecting to ${state.baseUrl}` };
  if (state.kind === 'failed') return { kind: 'failed', label: `${state.baseUrl}: ${errorMessage(state.error)}` };
  const ctx = state.model.contextLength !== undefined ? ` · ctx ${state.model.contextLength}` : '';
  return { kind: 'ready', label: `ready · ${modelLabel(state.model.id)}${ctx} · ${managedBy(state)}` };
}

export function endpointStatusBar(state: EndpointState): { text: string; tooltip: string } {
  const who = state.kind === 'ready' ? KIND_LABEL[state.info.kind] : state.baseUrl;
  if (state.kind === 'connecting') return { text: `$(sync~spin) ${who}`, tooltip: `Connecting to ${state.baseUrl}...` };
  if (state.kind === 'failed') return { text: `$(error) ${who}`, tooltip: errorMessage(state.error) };
  return {
    text: `$(server-environment) ${who} · ${modelLabel(state.model.id)}`,
    tooltip: `Chat and Explain use ${state.model.id} on ${KIND_LABEL[state.info.kind]} at ${state.baseUrl}. Memory is ${managedBy(state)}: Headroom shows no numbers for a server it did not start.${state.info.tokenizes ? '' : ' Token counts are estimates (the server has no /tokenize).'}`,
  };
}
