// llama.cpp RPC workers (`rpc-server` on another machine, or `headroom worker`): the addresses the user gives
// in headroom.rpcWorkers or `--rpc`, parsed once into what llama-server's `--rpc` takes.
import { HeadroomError } from '../common/errors';

export interface RpcWorker {
  host: string;
  port: number;
  /** MiB of the worker's memory Headroom may plan on it; unset: what it reports free, less the per-device margin. */
  budgetMiB?: number;
}

/** A worker address Headroom cannot hand to llama.cpp; `spec` is the text as the user wrote it. */
export class RpcWorkerSpecError extends HeadroomError {
  constructor(
    readonly spec: string,
    why: string,
  ) {
    super(`RPC worker "${spec}" ${why}`, 'Write each worker as host:port, e.g. 10.0.0.5:50052, optionally with a memory budget in MiB: 10.0.0.5:50052=20000.');
    this.name = 'RpcWorkerSpecError';
  }
}

const PORT = /^\d{1,5}$/;

/**
 * One worker: `host:port`, optionally `=MiB` (its budget). An IPv6 address is written in brackets ([fe80::1]:50052)
 * and then refused by name: this llama.cpp's RPC transport splits the endpoint at its first ':' and connects
 * over IPv4 only, so it would try another host.
 */
export function parseRpcWorker(text: string): RpcWorker {
  const spec = text.trim();
  const eq = spec.lastIndexOf('=');
  const address = eq >= 0 ? spec.slice(0, eq) : spec;
  const budgetText = eq >= 0 ? spec.slice(eq + 1) : undefined;
  const bracketed = /^\[([^\]]*)\]:(.*)$/.exec(address);
  const colon = address.lastIndexOf(':');
  const host = bracketed ? bracketed[1]! : address.slice(0, Math.max(0, colon));
  const portText = bracketed ? bracketed[2]! : address.slice(colon + 1);
  if (host.includes(':') || bracketed) {
    throw new RpcWorkerSpecError(spec, "is an IPv6 address; llama.cpp's RPC backend connects over IPv4 only. Use the worker's IPv4 address or host name.");
  }
  if (colon < 0 || host === '') throw new RpcWorkerSpecError(spec, 'has no host:port.');
  const port = PORT.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new RpcWorkerSpecError(spec, `has no valid port ("${portText}"; 1-65535).`);
  if (!/^[A-Za-z0-9.-]+$/.test(host)) throw new RpcWorkerSpecError(spec, `has a host ("${host}") that is neither an IPv4 address nor a host name.`);
  if (budgetText === undefined) return { host, port };
  const budgetMiB = /^\d+$/.test(budgetText) ? Number(budgetText) : NaN;
  if (!(budgetMiB > 0)) throw new RpcWorkerSpecError(spec, `has a budget ("${budgetText}") that is not a whole number of MiB.`);
  return { host, port, budgetMiB };
}

/** Workers from the setting (an array) or `--rpc` (comma-separated); empty entries are skipped, a repeated address refused. */
export function parseRpcWorkers(input: string | readonly string[]): RpcWorker[] {
  const items = typeof input === 'string' ? input.split(',') : input;
  const workers = items.filter((s) => s.trim() !== '').map(parseRpcWorker);
  const seen = new Set<string>();
  for (const w of workers) {
    const address = workerAddress(w);
    if (seen.has(address)) throw new RpcWorkerSpecError(address, 'is listed twice; each worker is one device.');
    seen.add(address);
  }
  return workers;
}

/** host:port, as llama.cpp names the worker's device (RPC0 (10.0.0.5:50052)) and its buffers (RPC0[10.0.0.5:50052]). */
export function workerAddress(w: RpcWorker): string {
  return `${w.host}:${w.port}`;
}

/** The value of llama-server's and llama-fit-params' `--rpc`. */
export function rpcArgValue(workers: readonly RpcWorker[]): string {
  return workers.map(workerAddress).join(',');
}
