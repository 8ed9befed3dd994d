// Which processes (windows) use a shared server: one empty file per holder, named by its pid, in the
// server's leases folder. A dead holder's file is ignored and removed, so a killed window never keeps a
// server up.
import { mkdir, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../../common/processAlive';

export async function takeLease(dir: string, pid: number = process.pid): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, String(pid)), '');
}

export async function releaseLease(dir: string, pid: number = process.pid): Promise<void> {
  await unlink(join(dir, String(pid))).catch(() => undefined);
}

/** The pids holding a lease now; leases of dead processes are removed on the way. */
export async function liveLeases(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (/^\d+$/.test(name) && processAlive(pid)) live.push(pid);
    else await unlink(join(dir, name)).catch(() => undefined);
  }
  return live;
}
