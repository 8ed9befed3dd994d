// One llama.cpp RPC worker (ggml-rpc-server) run by `headroom worker`: its arguments, the warning a bind beyond
// loopback needs, and its start, which counts once the port accepts connections.
import { HeadroomError } from '../common/errors';
import { workerAnswers } from '../endpoints/workerProbe';
import { workerAddress, type RpcWorker } from '../endpoints/rpcWorkers';
import { cleanEnv } from './childEnv';
import { isPortFree } from './ports';
import type { ManagedProcess, ProcessLauncher } from './processLauncher';

/** rpc-server's own default port, the one people put in `--rpc`. */
export const DEFAULT_WORKER_PORT = 50052;
export const LOOPBACK = '127.0.0.1';

export interface WorkerOptions {
  /** 127.0.0.1 unless the user named another address. */
  host: string;
  port: number;
  /** CPU threads of the worker (rpc-server's -t); its default when unset. */
  threads?: number;
}

/** ggml-rpc-server's arguments in this llama.cpp: -H host, -p port, -t threads (-d device and -c cache are not used). */
export function rpcWorkerArgs(o: WorkerOptions): string[] {
  const args = ['-H', o.host, '-p', String(o.port)];
  if (o.threads !== undefined) args.push('-t', String(o.threads));
  return args;
}

/**
 * The warning a worker bound beyond loopback prints; undefined on 127.0.0.1. rpc-server binds IPv4 only (it
 * refuses anything inet_addr cannot read), so a host name or IPv6 address is refused here with that reason.
 */
export function bindWarning(host: string): string | undefined {
  if (host === LOOPBACK) return undefined;
  return (
    `Warning: this worker listens on ${host}. llama.cpp's RPC protocol has no authentication and no encryption: ` +
    'anyone who can reach this port can run computations on this machine and read or write its memory buffers. ' +
    'Use it only on a trusted network, and block the port from everywhere else.'
  );
}

/** The --host of `headroom worker`: an IPv4 address, as rpc-server binds nothing else. */
export function checkWorkerHost(host: string): string {
  const parts = host.split('.');
  const ipv4 = parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
  if (!ipv4) {
    throw new HeadroomError(`--host ${host} is not an IPv4 address; llama.cpp's rpc-server binds only IPv4 addresses.`, 'Give this machine\'s address on the trusted network, e.g. --host 192.168.1.20, or 0.0.0.0 for every interface.');
  }
  return host;
}

export interface StartedWorker {
  process: ManagedProcess;
  /** host:port as the main server's --rpc names it (127.0.0.1 for a worker bound to 0.0.0.0 on this machine). */
  address: string;
}

/** How long a new worker has to accept connections before its start counts as failed. */
const START_TIMEOUT_MS = 30_000;

/** Starts ggml-rpc-server and resolves once its port accepts connections; rejects with its last lines when it exits first. */
export async function startRpcWorker(binary: string, o: WorkerOptions, launcher: ProcessLauncher, onLine?: (line: string) => void): Promise<StartedWorker> {
  // Another program on the port would answer the probe below for a worker that failed to bind.
  if (!(await isPortFree(o.port))) throw new HeadroomError(`Port ${o.port} is already in use on this machine.`, 'Choose another with --port.');
  const proc = await launcher.launch(binary, rpcWorkerArgs(o), { env: cleanEnv(process.env) });
  const lines: string[] = [];
  const keep = (line: string): void => {
    lines.push(line);
    if (lines.length > 20) lines.shift();
    onLine?.(line);
  };
  proc.onStdoutLine(keep);
  proc.onStderrLine(keep);
  let exited = false;
  void proc.exited.then(() => (exited = true));
  const probe: RpcWorker = { host: o.host === '0.0.0.0' ? LOOPBACK : o.host, port: o.port };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!exited) {
    if (await workerAnswers(probe, 500)) {
      if (!exited) return { process: proc, address: workerAddress(probe) };
      break;
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await proc.exited;
  throw new HeadroomError(`The RPC worker did not start on ${o.host}:${o.port}.`, `Its last output: ${lines.join(' | ') || '(none)'}. Is the port in use? Choose another with --port.`);
}
