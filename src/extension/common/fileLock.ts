import { readFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` while holding `<path>` as an exclusive lock file across processes. A lock left by a
 * dead process is taken over; a live holder is waited for (a second build waits for the first).
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>, onWait?: () => void): Promise<T> {
  for (let waited = false; ; ) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readFileSafe(path), 10);
      if (!Number.isFinite(holder) || !alive(holder)) {
        await rm(path, { force: true });
        continue;
      }
      if (!waited) onWait?.();
      waited = true;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
