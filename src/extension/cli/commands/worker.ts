import { headroomCacheDir } from '../../common/cacheDir';
import { HeadroomError } from '../../common/errors';
import { buildServer, resolveServer, type LocatedServer } from '../../llama/locateServer';
import { NodeProcessLauncher } from '../../llama/processLauncher';
import { bindWarning, checkWorkerHost, DEFAULT_WORKER_PORT, LOOPBACK, startRpcWorker } from '../../llama/rpcWorker';
import { EXIT, InterruptedError, type ExitCode } from '../exitCodes';
import { watchInterrupts } from '../interrupts';
import type { CliOptions } from '../options';
import { CliProgress } from '../progress';
import { say } from '../say';

/** The worker binary of the build `serve` would use, or of the --backend build (built when missing). */
async function workerBinary(options: CliOptions): Promise<string> {
  const progress = new CliProgress();
  const common = { cacheRoot: headroomCacheDir(), sourceFrom: __dirname, onProgress: (p: number, m: string) => progress.update(p, m) };
  let located: LocatedServer;
  try {
    located = options.backend ? await buildServer({ ...common, backend: options.backend }) : await resolveServer({ ...common, configuredPath: options.llamaServer });
  } finally {
    progress.done();
  }
  if (located.rpcServer) return located.rpcServer;
  throw new HeadroomError(
    `The llama.cpp build of ${located.path} has no RPC worker (ggml-rpc-server or rpc-server beside it).`,
    "Use Headroom's own build (leave out --llama-server, or give --backend cpu|vulkan), which builds one.",
  );
}

/**
 * `headroom worker [--port N] [--host H] [--backend cpu|vulkan]`: one llama.cpp RPC worker until Ctrl+C. It binds
 * 127.0.0.1 unless --host names another address, and then says that the protocol has no authentication. One JSON
 * line on stdout: the address to give `--rpc`, the port and the pid.
 */
export async function runWorker(options: CliOptions): Promise<ExitCode> {
  const host = options.host === undefined ? LOOPBACK : checkWorkerHost(options.host);
  const port = options.port === 0 ? DEFAULT_WORKER_PORT : options.port;
  const warning = bindWarning(host);
  if (warning) say(warning);
  const binary = await workerBinary(options);
  const interrupts = watchInterrupts();
  try {
    const interrupted = interrupts.received.then((signal) => Promise.reject(new InterruptedError(signal)));
    interrupted.catch(() => undefined);
    const worker = await Promise.race([startRpcWorker(binary, { host, port }, new NodeProcessLauncher()), interrupted]);
    process.stdout.write(`${JSON.stringify({ address: worker.address, host, port, pid: worker.process.pid })}\n`);
    say(`RPC worker ready on ${host}:${port} (${binary}). On the main machine: headroom serve --rpc ${host === '0.0.0.0' ? `<this machine's address>:${port}` : `${host}:${port}`}. Serving until Ctrl+C.`);
    const ended = await Promise.race([interrupts.received.then(() => undefined), worker.process.exited]);
    if (ended) throw new HeadroomError(`The RPC worker stopped by itself (${ended.signal ?? `exit code ${ended.code}`}).`);
    worker.process.kill('SIGTERM');
    await worker.process.exited;
    say('RPC worker stopped.');
    return EXIT.ok;
  } finally {
    interrupts.dispose();
  }
}
