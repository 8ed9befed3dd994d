import type { ExitInfo } from './processLauncher';

export type FailureKind =
  | 'port-in-use'
  | 'bad-model'
  | 'model-missing'
  | 'out-of-gpu-memory'
  | 'mmap-failed'
  | 'out-of-ram'
  | 'killed'
  /** Headroom killed it: it stopped answering (see stallWatch.ts). */
  | 'stalled'
  | 'bad-arguments'
  /** A llama.cpp RPC worker could not be reached, broke its connection, or speaks another protocol version. */
  | 'rpc-worker'
  | 'unknown';

export interface Failure {
  kind: FailureKind;
  /** Plain words for the user: what happened and what to do. */
  message: string;
}

const PATTERNS: readonly { kind: FailureKind; re: RegExp; message: string }[] = [
  { kind: 'port-in-use', re: /couldn't bind|address already in use|bind\(\) failed|failed to bind/i, message: 'The port is already in use by another program. Choose another headroom.port, or 0 for a free one.' },
  { kind: 'out-of-gpu-memory', re: /cudaMalloc failed|CUDA error: out of memory|out of memory|unable to allocate .*buffer|failed to allocate .*buffer|failed to fit params|ErrorOutOfDeviceMemory|kIOGPUCommandBufferCallbackErrorOutOfMemory|command buffer \d+ failed with status 5\b/i, message: 'The GPU ran out of memory while loading or running the model.' },
  // Windows' mmap is CreateFileMapping + MapViewOfFile; llama.cpp reports them as a failed model load, but the cause is memory.
  { kind: 'mmap-failed', re: /failed to mmap|mmap failed|CreateFileMappingA? failed|MapViewOfFile failed/i, message: 'The model file could not be memory-mapped: the system is short of RAM or address space.' },
  { kind: 'model-missing', re: /failed to open .*(no such file|not found)|No such file or directory/i, message: 'The model file could not be opened. Check headroom.modelPath.' },
  { kind: 'bad-model', re: /gguf_init_from_file|invalid magic|failed to read (the )?(file|header|tensor)|failed to load model|unknown model architecture|error loading model|tensor .* data is not within the file bounds/i, message: 'llama.cpp could not load the model file: it is not a valid or supported GGUF model (a truncated download?).' },
  { kind: 'bad-arguments', re: /error while handling argument|invalid argument|unknown argument|error: invalid/i, message: 'llama-server rejected its arguments. Check headroom.extraServerArgs.' },
];

/** Memory failures that end in an abort too (ggml aborts on a CUDA error; an uncaught std::bad_alloc terminates). */
const MEMORY_KINDS: readonly FailureKind[] = ['out-of-gpu-memory', 'mmap-failed'];
const BAD_ALLOC = /std::bad_alloc/;
/** An abort for certain: a failed GGML_ASSERT or an uncaught C++ exception, whatever the signal was reported as. */
const ABORT_MARK = /GGML_ASSERT\(.*\) failed|terminate called after throwing/;
/** The line that says why: GGML_ASSERT / GGML_ABORT ("file.cpp:123: message"), an exception's what(), or the loader's error. */
const ABORT_LINE = /GGML_ASSERT\(.*\) failed|^\S+\.(?:c|cc|cpp|cu|h|hpp|m|mm):\d+: \S|terminate called after throwing|^\s*what\(\):|llama_model_load: error loading model:/;

/** An abort in a GPU backend's source (e.g. ggml-cuda.cu:108: CUDA error) is the device's failure, not the file's. */
const GPU_BACKEND_SOURCE = /ggml-(?:cuda|vulkan|metal|sycl|hip|musa|opencl|cann)\b/;

/** "/src/llama-model.cpp:1226: GGML_ASSERT(x) failed" -> "GGML_ASSERT(x) failed (llama-model.cpp:1226)"; timestamps and paths off. */
function abortReason(line: string): string {
  const text = line.replace(/^\d+\.\d+\.\d+\.\d+ [A-Z] /, '').trim();
  const what = /^what\(\):\s*(.*)$/.exec(text);
  if (what) return `uncaught exception: ${what[1]}`;
  const at = /^(?:\S*[/\\])?([^/\\\s]+\.\w+:\d+): (.*)$/.exec(text);
  return at ? `${at[2]} (${at[1]})` : text;
}

/**
 * ggml-rpc's aborts (ggml-rpc.cpp): a worker that closed its connection mid-command ("crashed or returned malformed
 * response", which names no worker: the supervisor probes them to say which), one that cannot be connected to, or one
 * of another version. Matched before any other abort, which would read as a bad model file.
 */
const RPC_ABORTS: readonly { re: RegExp; message: (endpoint: string | undefined) => string }[] = [
  { re: /Remote RPC server crashed or returned malformed response/, message: () => 'An RPC worker stopped answering: its connection broke while llama-server was using it.' },
  { re: /Failed to connect to (\S+)/, message: (at) => `RPC worker ${at ?? '(unnamed)'} stopped answering: llama.cpp could not connect to it. Start it again (headroom worker) or remove it from headroom.rpcWorkers.` },
  { re: /RPC handshake failed for (\S+)/, message: (at) => `RPC worker ${at ?? '(unnamed)'} runs another version of llama.cpp's RPC protocol (the handshake failed); run the same llama.cpp build on the worker and here.` },
];

/** Where ggml-rpc aborts: "/path/ggml/src/ggml-rpc/ggml-rpc.cpp:547: Failed to connect to 10.0.0.5:50052". */
const RPC_SOURCE = /ggml-rpc\.cpp:\d+: /;

function rpcAbort(lines: readonly string[]): Failure | undefined {
  for (const line of lines) {
    if (!RPC_SOURCE.test(line)) continue;
    for (const p of RPC_ABORTS) {
      const m = p.re.exec(line);
      if (m) return { kind: 'rpc-worker', message: p.message(m[1]) };
    }
  }
  return undefined;
}

/**
 * A process that aborted (SIGABRT, or an assertion in its log) hit a GGML_ASSERT or an uncaught exception
 * while loading: the file is what llama.cpp could not handle, whatever the backtrace after it says (gdb's
 * "No such file or directory" is about its own sources). Only a memory failure before the abort is kept as such.
 */
export function abortFailure(lines: readonly string[], exit: ExitInfo | null): Failure | undefined {
  const rpc = rpcAbort(lines);
  if (rpc) return rpc;
  if (exit?.signal !== 'SIGABRT' && !lines.some((l) => ABORT_MARK.test(l))) return undefined;
  let at = -1;
  let abortLine: string | undefined;
  for (let i = lines.length - 1; i >= 0 && abortLine === undefined; i--) {
    const line = lines[i];
    if (line !== undefined && ABORT_LINE.test(line)) {
      at = i;
      abortLine = line;
    }
  }
  const cause = (abortLine !== undefined ? lines.slice(0, at + 1) : lines).join('\n');
  if (BAD_ALLOC.test(cause)) return { kind: 'out-of-ram', message: 'llama.cpp ran out of RAM (std::bad_alloc) and aborted.' };
  const memory = PATTERNS.find((p) => MEMORY_KINDS.includes(p.kind) && p.re.test(cause));
  if (memory) return { kind: memory.kind, message: memory.message };
  // No assertion line, but a line we know (e.g. the loader's "invalid magic"): that says more than "aborted".
  const known = abortLine === undefined ? PATTERNS.find((p) => p.re.test(cause)) : undefined;
  if (known) return { kind: known.kind, message: known.message };
  const reason = abortLine !== undefined ? abortReason(abortLine) : `it aborted (${exit?.signal ?? 'SIGABRT'}) without saying why`;
  if (abortLine !== undefined && GPU_BACKEND_SOURCE.test(abortLine)) return { kind: 'unknown', message: `llama.cpp's GPU backend aborted: ${reason}` };
  return { kind: 'bad-model', message: `llama.cpp could not load this file: ${reason}` };
}

/**
 * Windows has no OOM killer: a process short of memory dies of its own failed allocation. NTSTATUS exit codes, as
 * Node reports them (unsigned) or as a signed 32-bit int.
 */
const WINDOWS_MEMORY_EXITS: ReadonlyMap<number, string> = new Map([
  // An allocation that returned null, dereferenced: on a loading model server, almost always memory.
  [0xc0000005, 'llama-server crashed with an access violation (0xC0000005); on Windows that is most often an allocation that failed for lack of memory.'],
  [0xc0000017, 'llama-server ran out of memory (STATUS_NO_MEMORY, 0xC0000017).'],
]);

function windowsMemoryExit(exit: ExitInfo | null): Failure | undefined {
  if (exit?.code === null || exit?.code === undefined) return undefined;
  const message = WINDOWS_MEMORY_EXITS.get(exit.code >>> 0);
  return message === undefined ? undefined : { kind: 'out-of-ram', message };
}

/**
 * Reads llama-server's (or llama-fit-params') last output lines and exit to say, in plain words, why it stopped.
 * `oomKilled`: whether the kernel's OOM killer acted meanwhile (see oomKills.ts); undefined where unknown.
 */
export function classifyFailure(stderrTail: readonly string[], exit: ExitInfo | null, oomKilled?: boolean): Failure {
  const aborted = abortFailure(stderrTail, exit);
  if (aborted) return aborted;
  const text = stderrTail.join('\n');
  for (const p of PATTERNS) if (p.re.test(text)) return { kind: p.kind, message: p.message };
  const windows = windowsMemoryExit(exit);
  if (windows) return windows;
  if (exit?.signal === 'SIGKILL') {
    if (oomKilled === true) return { kind: 'out-of-ram', message: "llama-server was killed by the system's out-of-memory killer: it needed more RAM than was free." };
    if (oomKilled === false) return { kind: 'killed', message: 'llama-server was killed (SIGKILL) by another program or a user, not for lack of memory.' };
    return { kind: 'out-of-ram', message: 'llama-server was killed (SIGKILL), most likely by the system for using too much RAM.' };
  }
  const how = exit ? (exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.code}`) : 'stopped';
  return { kind: 'unknown', message: `llama-server ${how}.` };
}
