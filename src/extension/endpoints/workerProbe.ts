import { connect } from 'node:net';
import { workerAddress, type RpcWorker } from './rpcWorkers';

/** How long a worker has to accept a connection before it counts as not answering. */
export const WORKER_ANSWER_MS = 2_000;

/**
 * Does the worker accept a TCP connection? Closed at once, before any RPC command: rpc-server serves one client at a
 * time and takes the next connection only when that one ends, so the probe never disturbs a running llama-server.
 */
export function workerAnswers(w: RpcWorker, timeoutMs = WORKER_ANSWER_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: w.host, port: w.port });
    const done = (answered: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answered);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The addresses of the workers that do not answer, all probed at once. */
export async function silentWorkers(workers: readonly RpcWorker[], timeoutMs = WORKER_ANSWER_MS): Promise<string[]> {
  const answers = await Promise.all(workers.map((w) => workerAnswers(w, timeoutMs)));
  return workers.filter((_, i) => !answers[i]).map(workerAddress);
}
