// Waits on the supervisor's state events (never on a clock) in unit tests.
import type { ServerState, ServerStateKind } from '../../src/extension/llama/serverState';
import type { Supervisor } from '../../src/extension/llama/supervisor';

/**
 * Resolves with the first state of `kind` the supervisor announces from now on; rejects when it announces
 * `failed` first (unless `failed` is the kind asked for), or after `timeoutMs` as a safety net.
 */
export function untilState<K extends ServerStateKind>(sup: Supervisor, kind: K, timeoutMs = 10_000): Promise<Extract<ServerState, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${kind} state within ${timeoutMs} ms; the state is ${sup.state.kind}`));
    }, timeoutMs);
    const sub = sup.onDidChangeState((s) => {
      if (s.kind !== kind && s.kind !== 'failed') return;
      clearTimeout(timer);
      sub.dispose();
      if (s.kind === kind) resolve(s as Extract<ServerState, { kind: K }>);
      else reject(new Error(`failed instead of ${kind}: ${s.kind === 'failed' ? s.error : ''}`));
    });
  });
}
