import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  /** The signal that ended the program (e.g. SIGABRT), or null when it exited. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a program without a shell (and without a console window on Windows) and collects its output; never rejects for a non-zero exit. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 30_000, cwd: options.cwd, env: options.env, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8', windowsHide: true },
      (err, stdout, stderr) => {
        const code = err ? err.code : 0;
        // A string code (ENOENT, EACCES, maxBuffer exceeded) means no exit code to report; a number is the exit code.
        if (typeof code === 'string' && err instanceof Error) reject(err);
        else resolve({ code: typeof code === 'number' ? code : null, signal: err?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** PATH's folders as `platform` separates them (';' on Windows, ':' elsewhere). */
export function pathFolders(pathEnv: string | undefined, platform: NodeJS.Platform = process.platform): string[] {
  return (pathEnv ?? '').split(platform === 'win32' ? ';' : ':').filter((p) => p !== '');
}

/** The absolute path of `name` on PATH, or undefined; on Windows `name.exe` and `name.cmd` count too. */
export async function which(name: string, pathEnv = process.env.PATH ?? '', platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const exts = platform === 'win32' ? ['.exe', '.cmd', ''] : [''];
  for (const dir of pathFolders(pathEnv, platform)) {
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
