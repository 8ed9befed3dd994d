import { readFileSync } from 'node:fs';

/**
 * True while a process with this pid runs (EPERM: it does, owned by someone else). On Linux a zombie (ended,
 * not yet reaped: a shared llama-server whose window is gone is reaped by whatever adopted it, maybe never)
 * counts as ended.
 */
export function processAlive(pid: number | undefined, platform: NodeJS.Platform = process.platform): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return platform !== 'linux' || !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) S ...": comm may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
