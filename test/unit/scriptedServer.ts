// A scripted stand-in for llama-server (the GPU it would run out of memory on doesn't exist here):
// a ProcessLauncher whose "process" either prints llama.cpp's real out-of-memory lines and exits, or
// serves /health and /props over real HTTP on the port it was given (answering /health with 503, as
// llama-server does while it loads, until the test says the load is done), and can stall (answer nothing,
// as a llama-server stopped with SIGSTOP does, until it is killed).
import { createServer, type Server } from 'node:http';
import { Emitter } from '../../src/extension/common/emitter';
import type { ExitInfo, LaunchOptions, ManagedProcess, ProcessLauncher } from '../../src/extension/llama/processLauncher';
import { RestartPolicy } from '../../src/extension/llama/restartPolicy';
import { Supervisor, type SupervisorDeps } from '../../src/extension/llama/supervisor';

/** `loading`: /health answers 503 until finishLoading(). */
export type Script = (args: readonly string[]) => { fail: string[] } | { serve: true; loading?: boolean };

interface Running {
  server: Server;
  loading: boolean;
  stalled: boolean;
  print(lines: readonly string[]): void;
  crash(lines: readonly string[], exit: ExitInfo): void;
}

export function argValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

export class ScriptedLauncher implements ProcessLauncher {
  readonly launches: (readonly string[])[] = [];
  private readonly running = new Set<Running>();

  constructor(private readonly script: Script) {}

  async launch(_command: string, args: readonly string[], _options: LaunchOptions): Promise<ManagedProcess> {
    this.launches.push(args);
    const stderr = new Emitter<string>();
    const stdout = new Emitter<string>();
    let exit: (info: ExitInfo) => void = () => undefined;
    const exited = new Promise<ExitInfo>((r) => (exit = r));
    const outcome = this.script(args);
    const pid = 900_000 + this.launches.length;
    let server: Server | undefined;
    const end = (info: ExitInfo): void => {
      server?.close();
      // Requests a stalled server left hanging end with it, as the kernel closes a killed process's sockets.
      server?.closeAllConnections();
      exit(info);
    };
    if ('fail' in outcome) {
      setTimeout(() => {
        for (const line of outcome.fail) stderr.fire(line);
        end({ code: 1, signal: null });
      }, 20);
    } else {
      const ctx = Number(argValue(args, '--ctx-size') ?? 0);
      const port = Number(argValue(args, '--port'));
      const handle: Running = {
        server: createServer((req, res) => {
          if (handle.stalled) return;
          res.setHeader('content-type', 'application/json');
          if (req.url === '/health' && handle.loading) {
            res.statusCode = 503;
            res.end('{"error":{"code":503,"message":"Loading model"}}');
          } else res.end(req.url === '/props' ? JSON.stringify({ default_generation_settings: { n_ctx: ctx } }) : '{"status":"ok"}');
        }),
        loading: outcome.loading ?? false,
        stalled: false,
        print: (lines) => {
          for (const line of lines) stderr.fire(line);
        },
        crash: (lines, exit) => {
          handle.print(lines);
          this.running.delete(handle);
          end(exit);
        },
      };
      server = handle.server;
      server.listen(port, '127.0.0.1');
      this.running.add(handle);
    }
    return {
      pid,
      onStderrLine: stderr.event,
      onStdoutLine: stdout.event,
      exited,
      kill: (signal) => {
        for (const h of this.running) if (h.server === server) this.running.delete(h);
        end({ code: null, signal });
      },
    };
  }

  /** Makes every running scripted server crash with these output lines: an abort unless `exit` says otherwise. */
  crashAll(lines: readonly string[], exit: ExitInfo = { code: null, signal: 'SIGABRT' }): void {
    for (const h of [...this.running]) h.crash(lines, exit);
  }

  /** Every running scripted server prints these lines on stderr. */
  printAll(lines: readonly string[]): void {
    for (const h of this.running) h.print(lines);
  }

  /** Every running scripted server stops answering anything, until it is killed. */
  stallAll(): void {
    for (const h of this.running) h.stalled = true;
  }

  /** Every running scripted server that is loading answers /health with 200 from now on. */
  finishLoading(): void {
    for (const h of this.running) h.loading = false;
  }
}

export const CUDA_OOM = [
  'ggml_backend_cuda_buffer_type_alloc_buffer: allocating 1200.00 MiB on device 0: cudaMalloc failed: out of memory',
  'alloc_tensor_range: failed to allocate CUDA0 buffer of size 1258291200',
  'llama_model_load: error loading model: unable to allocate CUDA0 buffer',
];

/** A supervisor of scripted servers with short health, stop, port and restart timings; `deps` override any of them. */
export function scriptedSupervisor(launcher: ScriptedLauncher, deps: Partial<SupervisorDeps> = {}): Supervisor {
  return new Supervisor({
    launcher,
    resolveBinary: async () => ({ path: 'llama-server' }),
    checkModel: async () => undefined,
    healthIntervalMs: 10,
    stopGraceMs: 200,
    portReclaimMs: 300,
    restartPolicy: new RestartPolicy({ baseDelayMs: 10 }),
    ...deps,
  });
}
