import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeModel } from '../gguf/writer/models';

/** The generated model `headroom demo` runs when no --model is given (random weights, real format). */
export const DEMO_PRESET = 'tiny-dense';
export const DEMO_TYPE = 'Q8_0';
export const DEMO_SEED = 1;
/** Part of the file name: bump it when the generator's output changes, so a cached older demo model is not reused. */
const DEMO_REVISION = 2;

/** Writes the demo model once into `dir` (atomically) and returns its path. */
export async function ensureDemoModel(dir: string): Promise<string> {
  const path = join(dir, `headroom-demo-${DEMO_PRESET}-${DEMO_TYPE.toLowerCase()}-s${DEMO_SEED}-r${DEMO_REVISION}.gguf`);
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeModel(tmp, DEMO_PRESET, { type: DEMO_TYPE, seed: DEMO_SEED });
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}
