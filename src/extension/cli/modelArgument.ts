// What a command's MODEL argument names: a file on this machine, a URL or hf: ref, or (none given) the demo model.
// Environment: HF_TOKEN (or HUGGING_FACE_HUB_TOKEN) for private repos, HF_ENDPOINT for a mirror.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headroomCacheDir } from '../common/cacheDir';
import { ensureDemoModel } from '../models/demoModel';
import type { HfConfig } from '../models/hfApi';
import { remoteModelUrl, writeRemoteStub } from '../models/remoteStub';
import type { CliOptions } from './options';
import { say } from './say';

export function hfConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HfConfig {
  return { baseUrl: env.HF_ENDPOINT || undefined, token: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined };
}

/** --model, or Headroom's generated demo model (made on first use) when none is given. */
export async function modelOrDemo(options: CliOptions): Promise<string> {
  if (options.model) return options.model;
  const path = await ensureDemoModel(join(headroomCacheDir(), 'models'));
  say(`model: ${path}`);
  say("  (no --model given: this is Headroom's generated demo model. Its weights are random, so its reply is gibberish;");
  say('   every step it runs through (build, plan, supervise, stream) is the real one.)');
  return path;
}

/**
 * Runs `use` with a local path for `model`: the file itself, or for a URL or hf: ref a temporary stub holding the
 * remote file's header over a hole of its size (enough to plan it before download), removed afterwards.
 */
export async function withModelHeader<T>(model: string, use: (path: string) => Promise<T>): Promise<T> {
  const hf = hfConfigFromEnv();
  const url = existsSync(model) ? undefined : await remoteModelUrl(model, hf);
  if (!url) return use(model);
  say(`planning before download: reading the header of ${url}`);
  const stubDir = mkdtempSync(join(tmpdir(), 'headroom-plan-'));
  try {
    return await use(await writeRemoteStub(url, stubDir, hf));
  } finally {
    rmSync(stubDir, { recursive: true, force: true });
  }
}
