// A process for fileLock.test.ts. `count LOCK COUNTER LOG CYCLES`: each cycle takes the lock, logs
// its entry and exit to LOG (one append each, so the lines of all processes interleave in the
// order they happened) and increments COUNTER by read-then-write. `hold LOCK`: takes the lock,
// says "held" on stdout and keeps it until killed.
import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { withFileLock } from '../../src/extension/common/fileLock';

async function count(lock: string, counter: string, log: string, cycles: number): Promise<void> {
  for (let i = 0; i < cycles; i++) {
    await withFileLock(lock, async () => {
      appendFileSync(log, `+${process.pid}\n`);
      const n = Number(await readFile(counter, 'utf8'));
      await writeFile(counter, String(n + 1));
      appendFileSync(log, `-${process.pid}\n`);
    });
  }
}

async function hold(lock: string): Promise<void> {
  await withFileLock(lock, () => {
    process.stdout.write('held\n');
    // The interval keeps this process alive (holding the lock) until it is killed.
    return new Promise<never>(() => setInterval(() => undefined, 60_000));
  });
}

async function main(): Promise<void> {
  const [mode, lock, counter, log, cycles] = process.argv.slice(2);
  if (mode === 'hold' && lock !== undefined) return hold(lock);
  if (mode === 'count' && lock !== undefined && counter !== undefined && log !== undefined && cycles !== undefined) {
    return count(lock, counter, log, Number(cycles));
  }
  throw new Error(`usage: fileLockWorker hold LOCK | count LOCK COUNTER LOG CYCLES (got ${process.argv.slice(2).join(' ')})`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
