// GGUF header validation speed: real-sized headers read from sparse stubs, and the slowest of 300
// random corruptions of a good header (the target: a precise error within 200 ms).
import { join } from 'node:path';
import { GgufFormatError, parseGgufHeader, readGgufHeader } from '../../src/extension/gguf/header';
import { SPARSE_PRESETS, tinyModelSpec, writeSparseModel } from '../../src/extension/gguf/writer/models';
import { Random } from '../../src/extension/gguf/writer/random';
import { serializeHeader } from '../../src/extension/gguf/writer/ggufWriter';
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
  const spec = tinyModelSpec('tiny-dense');
  const { header } = serializeHeader(spec.kvs, spec.tensors);
  const random = new Random(7);
  let slowest = 0;
  let rejected = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(header);
    for (let e = 0; e < 1 + (random.u32() % 6); e++) bytes[random.u32() % bytes.length] = random.u32() & 0xff;
    const t = performance.now();
    try {
      await parseGgufHeader(bytes);
    } catch (err) {
      if (!(err instanceof GgufFormatError)) throw err;
      rejected++;
    }
    slowest = Math.max(slowest, performance.now() - t);
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
    `300 random byte corruptions of a tiny model's header: ${rejected} rejected with a GgufFormatError, the rest still valid; slowest ${slowest.toFixed(1)} ms (target: 200 ms).`,
  ].join('\n');
  return body;
}

runBench('gguf', main);
