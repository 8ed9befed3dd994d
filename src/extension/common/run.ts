import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  /** The signal that ended the program (e.g. SIGABRT), or null when it exited. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program without a shell and collects its output; never rejects for a non-zero exit. */
export function run(command: string, args: readonly string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 30_000, cwd: options.cwd, env: options.env, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? err.code : 0;
        // A string code (ENOENT, EACCES, maxBuffer exceeded) means no exit code to report; a number is the exit code.
        if (typeof code === 'string' && err instanceof Error) reject(err);
        else resolve({ code: typeof code === 'number' ? code : null, signal: err?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** The absolute path of `name` on PATH, or undefined. */
export async function which(name: string, pathEnv = process.env.PATH ?? ''): Promise<string | undefined> {
  const exts = process.platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // keep looking
      }
    }
  }
  return undefined;
}
