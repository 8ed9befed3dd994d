// Compiles and runs memoryBandwidth.c (the C compiler that builds llama.cpp is there anyway).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRecord } from '../../src/extension/common/isRecord';

const SOURCE = join(__dirname, '..', '..', '..', 'test', 'bench', 'memoryBandwidth.c');

/** Best read bandwidth in GB/s over `passes` passes of a 1 GiB buffer, with `threads` threads. */
export function measureReadBandwidth(threads: number, passes = 5): number {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-membw-'));
  try {
    const exe = join(dir, 'membw');
    const cc = spawnSync('cc', ['-O3', '-march=native', '-fopenmp', SOURCE, '-o', exe], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
    const run = spawnSync(exe, ['1024', String(threads), String(passes)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`memoryBandwidth failed: ${run.stderr}`);
    const parsed: unknown = JSON.parse(run.stdout);
    if (!isRecord(parsed) || typeof parsed.gbPerSecond !== 'number') throw new Error(`memoryBandwidth printed ${run.stdout}`);
    return parsed.gbPerSecond;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
