// GGUF header validation speed on real-sized headers read from sparse stubs. Corrupt files are the fuzz
// bench's (ggufFuzz.bench.ts: whole files with their data, not a header cut from its data, which is invalid anyway).
import { join } from 'node:path';
import { readGgufHeader } from '../../src/extension/gguf/header';
import { SPARSE_PRESETS, writeSparseModel } from '../../src/extension/gguf/writer/models';
import { tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';
import { itemAt } from '../fixtures/itemAt';

async function main(): Promise<string> {
  const dir = tempDir('bench-gguf');
  const rows: string[] = [];
  try {
    for (const preset of SPARSE_PRESETS) {
      const path = join(dir.path, `${preset}.gguf`);
      const written = await writeSparseModel(path, preset);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await readGgufHeader(path);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${preset} Q4_K_M | ${(written.fileSize / 2 ** 30).toFixed(1)} GiB | ${written.tensorCount} | ${(written.layout.dataOffset / 2 ** 20).toFixed(1)} MiB | ${itemAt(times, 2).toFixed(1)} |`);
    }
  } finally {
    dir.dispose();
  }
  const body = [
    '## GGUF header validation',
    '',
    '`npm run bench -- gguf` (test/bench/gguf.bench.ts): the TypeScript reader/validator that runs before anything native touches a file.',
    '',
    '| model (sparse stub) | logical size | tensors | header | read + validate, median of 5 (ms) |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Corrupted files: see "GGUF validator fuzz" below.',
  ].join('\n');
  return body;
}

runBench('gguf', main);
