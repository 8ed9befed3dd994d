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
  | 'unknown';

export interface Failure {
  kind: FailureKind;
  /** Plain words for the user: what happened and what to do. */
  message: string;
}

const PATTERNS: readonly { kind: FailureKind; re: RegExp; message: string }[] = [
  { kind: 'port-in-use', re: /couldn't bind|address already in use|bind\(\) failed|failed to bind/i, message: 'The port is already in use by another program. Choose another headroom.port, or 0 for a free one.' },
  { kind: 'out-of-gpu-memory', re: /cudaMalloc failed|CUDA error: out of memory|out of memory|unable to allocate .*buffer|failed to allocate .*buffer|failed to fit params|ErrorOutOfDeviceMemory/i, message: 'The GPU ran out of memory while loading or running the model.' },
  { kind: 'mmap-failed', re: /failed to mmap|mmap failed/i, message: 'The model file could not be memory-mapped: the system is short of RAM or address space.' },
  { kind: 'model-missing', re: /failed to open .*(no such file|not found)|No such file or directory/i, message: 'The model file could not be opened. Check headroom.modelPath.' },
  { kind: 'bad-model', re: /gguf_init_from_file|invalid magic|failed to read (the )?(file|header|tensor)|failed to load model|unknown model architecture|error loading model|tensor .* data is not within the file bounds/i, message: 'llama.cpp could not load the model file: it is not a valid or supported GGUF model (a truncated download?).' },
  { kind: 'bad-arguments', re: /error while handling argument|invalid argument|unknown argument|error: invalid/i, message: 'llama-server rejected its arguments. Check headroom.extraServerArgs.' },
];

/**
 * Reads llama-server's last output lines and exit to say, in plain words, why it stopped.
 * `oomKilled`: whether the kernel's OOM killer acted meanwhile (see oomKills.ts); undefined where unknown.
 */
export function classifyFailure(stderrTail: readonly string[], exit: ExitInfo | null, oomKilled?: boolean): Failure {
  const text = stderrTail.join('\n');
  for (const p of PATTERNS) if (p.re.test(text)) return { kind: p.kind, message: p.message };
  if (exit?.signal === 'SIGKILL') {
    if (oomKilled === true) return { kind: 'out-of-ram', message: "llama-server was killed by the system's out-of-memory killer: it needed more RAM than was free." };
    if (oomKilled === false) return { kind: 'killed', message: 'llama-server was killed (SIGKILL) by another program or a user, not for lack of memory.' };
    return { kind: 'out-of-ram', message: 'llama-server was killed (SIGKILL), most likely by the system for using too much RAM.' };
  }
  const how = exit ? (exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.code}`) : 'stopped';
  return { kind: 'unknown', message: `llama-server ${how}.` };
}
