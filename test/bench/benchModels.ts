// Generated models for benchmarks, kept in Headroom's cache (outside the repo) under a key that changes
// whenever the writer's code does, so a ~1B model is written once (about a minute) and not per benchmark.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { writeModel, type DataPreset } from '../../src/extension/gguf/writer/models';
import type { FixtureType } from '../../src/extension/gguf/writer/quantize';

const WRITER = join(__dirname, '..', '..', 'src', 'extension', 'gguf', 'writer');

function writerHash(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(WRITER).filter((n) => n.endsWith('.js')).sort()) hash.update(name).update(readFileSync(join(WRITER, name)));
  return hash.digest('hex').slice(0, 12);
}

/** A generated model with seeded random weights: `small-llama` Q8_0 is ~0.86B parameters, 0.9 GB. */
export async function benchModel(preset: DataPreset, type: FixtureType): Promise<string> {
  const dir = join(headroomCacheDir(), 'bench-models');
  const path = join(dir, `${preset}-${type}-${writerHash()}.gguf`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  await writeModel(`${path}.partial`, preset, { type, seed: 1 });
  renameSync(`${path}.partial`, path);
  process.stderr.write(`# wrote ${path} in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  return path;
}
