// What a llama-server that uses RPC workers says when one of them goes: which worker, found by asking each.
import { parseRpcWorkers, type RpcWorker } from '../endpoints/rpcWorkers';
import { silentWorkers } from '../endpoints/workerProbe';

/** The workers in a llama-server command line (its `--rpc` value), as Headroom wrote them there. */
export function rpcWorkersOf(args: readonly string[]): RpcWorker[] {
  const at = args.indexOf('--rpc');
  const value = at >= 0 ? args[at + 1] : undefined;
  return value ? parseRpcWorkers(value) : [];
}

/**
 * The sentence for workers that stopped answering. llama-server is not restarted then: it would abort again while
 * connecting to them, so a restart loop would only hide the cause.
 */
export function workersLostMessage(lost: readonly string[]): string {
  const one = lost.length === 1;
  return (
    `RPC worker${one ? '' : 's'} ${lost.join(', ')} stopped answering. llama-server was not restarted: it cannot load without ${one ? 'it' : 'them'}. ` +
    `Start the worker again (headroom worker on ${one ? 'that machine' : 'those machines'}) and start the model again, or remove ${one ? 'it' : 'them'} from headroom.rpcWorkers.`
  );
}

/** The workers of `args` that do not answer now; none asked when `args` has no --rpc. */
export function lostWorkers(args: readonly string[]): Promise<string[]> {
  const workers = rpcWorkersOf(args);
  return workers.length === 0 ? Promise.resolve([]) : silentWorkers(workers);
}
