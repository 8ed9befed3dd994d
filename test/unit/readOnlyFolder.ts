// A folder this process cannot write into, for real (no fs stub): chmod 555 stops a normal user but not root,
// so as root (CI, containers) the folder is made immutable with `chattr +i` instead, which stops root too.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReadOnly {
  /** Writable again. */
  undo(): void;
  /** How it was made read-only, for the test's output. */
  how: string;
}

/** Makes `dir` read-only for this process, or says why it cannot here (then the caller skips). */
export function makeReadOnly(dir: string): ReadOnly | string {
  const asRoot = process.getuid?.() === 0;
  const how = asRoot ? 'chattr +i (running as root)' : 'chmod 555';
  try {
    if (asRoot) execFileSync('chattr', ['+i', dir], { stdio: 'pipe' });
    else chmodSync(dir, 0o555);
  } catch (err) {
    return `${how} failed here: ${(err as Error).message}`;
  }
  const undo = (): void => {
    if (asRoot) execFileSync('chattr', ['-i', dir], { stdio: 'pipe' });
    else chmodSync(dir, 0o755);
  };
  const probe = join(dir, 'probe');
  try {
    writeFileSync(probe, '');
  } catch {
    return { undo, how };
  }
  rmSync(probe);
  undo();
  return `${how} did not stop this process writing into ${dir}`;
}
