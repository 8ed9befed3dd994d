import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { run } from '../common/run';

export interface LlamaSource {
  /** node-llama-cpp's git bundle of llama.cpp. */
  bundle: string;
  /** The bundle's commit: the cache key for builds made from it. */
  commit: string;
}

/** Finds node-llama-cpp's `llama/gitRelease.bundle`, looking in node_modules from `startDir` upwards. */
export function findSourceBundle(startDir: string): string | undefined {
  for (let dir = startDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export async function readLlamaSource(startDir: string): Promise<LlamaSource> {
  const bundle = findSourceBundle(startDir);
  if (!bundle) {
    throw new HeadroomError(
      'The llama.cpp source that node-llama-cpp ships (llama/gitRelease.bundle) was not found.',
      'Reinstall Headroom, or set headroom.llamaServerPath to a llama-server you built.',
    );
  }
  let heads;
  try {
    heads = await run('git', ['bundle', 'list-heads', bundle]);
  } catch (err) {
    throw new HeadroomError('git is needed to unpack the llama.cpp source but was not found.', 'Install git (Debian/Ubuntu: sudo apt-get install git).', { cause: err });
  }
  const commit = /^([0-9a-f]{40})/m.exec(heads.stdout)?.[1];
  if (heads.code !== 0 || !commit) throw new HeadroomError(`The llama.cpp source bundle ${bundle} is unreadable: ${heads.stderr.trim()}`);
  return { bundle, commit };
}
