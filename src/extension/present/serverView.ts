import type { ServerState } from '../llama/serverState';
import type { ServerView } from '../../webview/protocol/chat';

export type { ServerView };

/** The server state in the words every surface shows (chat header, status bar). */
export function serverView(state: ServerState): ServerView {
  switch (state.kind) {
    case 'stopped':
      return { kind: 'stopped', label: 'Model stopped' };
    case 'locating':
      return { kind: 'locating', label: 'Looking for llama-server…' };
    case 'planning':
      return { kind: 'planning', label: 'Planning memory…' };
    case 'building':
      return { kind: 'building', label: `Building llama.cpp ${Math.floor(state.percent)}%`, detail: state.message };
    case 'starting':
      return { kind: 'starting', label: 'Starting llama-server…' };
    case 'loading':
      return { kind: 'loading', label: state.percent === null ? 'Loading the model…' : `Loading the model ${state.percent}%` };
    case 'ready':
      // No URL: the server is Headroom's own business (its key is not shown either); the header names the model.
      return { kind: 'ready', label: `${state.model} · ctx ${state.contextSize}` };
    case 'crashed':
      return {
        kind: 'crashed',
        label: `llama-server crashed; restarting in ${Math.ceil(state.retryInMs / 1000)} s`,
        detail: [state.reason, ...state.stderrTail.slice(-5)].join('\n'),
      };
    case 'failed':
      return { kind: 'failed', label: 'llama-server failed', detail: state.error };
  }
}
