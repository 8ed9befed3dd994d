// Waits on the supervisor's state events (never on a clock) in unit tests.
import type { ServerState, ServerStateKind } from '../../src/extension/llama/serverState';
import type { Supervisor } from '../../src/extension/llama/supervisor';
import { nextEvent } from '../fixtures/events';

/**
 * Resolves with the first state of `kind` the supervisor announces from now on; rejects when it announces
 * `failed` first (unless `failed` is the kind asked for), or after `timeoutMs` as a safety net.
 */
export async function untilState<K extends ServerStateKind>(sup: Supervisor, kind: K, timeoutMs = 10_000): Promise<Extract<ServerState, { kind: K }>> {
  const state = await nextEvent(sup.onDidChangeState, `the ${kind} state`, (s) => s.kind === kind || s.kind === 'failed', timeoutMs).catch(
    (err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; the state is ${sup.state.kind}`, { cause: err });
    },
  );
  if (state.kind === 'failed' && kind !== 'failed') throw new Error(`failed instead of ${kind}: ${state.error}`);
  return state as Extract<ServerState, { kind: K }>;
}
