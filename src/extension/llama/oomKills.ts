import { readFileSync } from 'node:fs';

/**
 * How many processes the kernel's out-of-memory killer has ended since boot (`oom_kill` in /proc/vmstat,
 * Linux 4.13+; cgroup OOM kills in containers count too), or undefined where the system does not say.
 * Read before a start and after a SIGKILL, it tells the OOM killer's work from a `kill -9`.
 */
export function readOomKillCount(vmstatPath = '/proc/vmstat'): number | undefined {
  let text: string;
  try {
    text = readFileSync(vmstatPath, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Whether the OOM killer acted between two readings; undefined when either is unknown. */
export function oomKillerActed(before: number | undefined, after: number | undefined): boolean | undefined {
  return before === undefined || after === undefined ? undefined : after > before;
}
