import type { ContextState } from '../chat/contextTracker';
import type { ContextView } from '../../webview/protocol/chat';

/** The meter and the chips as the view draws them: the chips' text stays on the host. */
export function contextView(state: ContextState): ContextView {
  return {
    pending: state.pending.map(({ id, kind, label, tokens }) => ({ id, kind, label, tokens })),
    used: state.used,
    limit: state.limit,
    omittedTurns: state.omittedTurns,
    ...(state.estimated ? { estimated: true as const } : {}),
  };
}
