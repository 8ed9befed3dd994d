import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { which } from '../common/run';
import { readBinaryVersion } from './binaryVersion';
import { BUILD_BACKENDS, chooseBackend, type BackendChoice, type BuildBackend } from './buildBackend';
import { buildLlama, findBuild, readCurrentStamp } from './llamaBuild';
import { readLlamaSource } from './llamaSource';

export type ServerSource = 'setting' | 'path' | 'build-folder' | 'cache' | 'built';

export interface LocatedServer {
  path: string;
  source: ServerSource;
  version: string;
  /** llama-fit-params beside it, when that build has one. */
  fitParams?: string;
}

export interface LocateOptions {
  /** headroom.llamaServerPath; when set it is the only candidate. */
  configuredPath?: string;
  cacheRoot: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
}

const EXE = process.platform === 'win32' ? '.exe' : '';

/** Where people usually build llama.cpp by hand. */
export function usualBuildFolders(home: string): string[] {
  const roots = ['llama.cpp', join('src', 'llama.cpp'), join('code', 'llama.cpp'), join('git', 'llama.cpp'), join('projects', 'llama.cpp')];
  const dirs = roots.flatMap((r) => [join(home, r, 'build', 'bin'), join(home, r, 'build', 'bin', 'Release')]);
  return [...dirs, '/opt/llama.cpp/build/bin'];
}

async function candidate(path: string, source: ServerSource): Promise<LocatedServer | undefined> {
  if (!existsSync(path)) return undefined;
  const version = await readBinaryVersion(path);
  if (!version) return undefined;
  const fitParams = join(dirname(path), `llama-fit-params${EXE}`);
  return { path, source, version: version.text, fitParams: existsSync(fitParams) ? fitParams : undefined };
}

async function cachedBuilds(cacheRoot: string): Promise<string[]> {
  try {
    const names = await readdir(join(cacheRoot, 'llama.cpp'));
    return names.filter((n) => /^[0-9a-f]{12}-/.test(n) && BUILD_BACKENDS.includes(n.slice(13) as BuildBackend)).sort();
  } catch {
    return [];
  }
}

/**
 * Finds a working llama-server: the setting, then PATH, then the usual build folders, then Headroom's
 * own build cache. A configured path that does not work is an error, not a reason to look elsewhere.
 */
export async function locateServer(options: LocateOptions): Promise<LocatedServer | undefined> {
  const env = options.env ?? process.env;
  if (options.configuredPath) {
    const found = await candidate(options.configuredPath, 'setting');
    if (found) return found;
    const why = existsSync(options.configuredPath) ? 'does not answer --version like llama-server does' : 'does not exist';
    throw new HeadroomError(`headroom.llamaServerPath (${options.configuredPath}) ${why}.`, 'Fix the setting, or clear it to let Headroom find or build llama-server.');
  }
  const onPath = await which('llama-server', env.PATH ?? '');
  const fromPath = onPath && (await candidate(onPath, 'path'));
  if (fromPath) return fromPath;
  for (const dir of usualBuildFolders(options.home ?? homedir())) {
    const found = await candidate(join(dir, `llama-server${EXE}`), 'build-folder');
    if (found) return found;
  }
  for (const name of await cachedBuilds(options.cacheRoot)) {
    const dir = join(options.cacheRoot, 'llama.cpp', name);
    if (!(await readCurrentStamp(dir))) continue;
    const found = await candidate(join(dir, 'build', 'bin', `llama-server${EXE}`), 'cache');
    if (found) return found;
  }
  return undefined;
}

/** What Headroom's own build needs: where the source and the cache are, which backend, and who hears of it. */
export interface BuildServerOptions {
  cacheRoot: string;
  /** Where to look for node-llama-cpp's llama.cpp source (the extension's or CLI's folder). */
  sourceFrom: string;
  backend?: BuildBackend;
  onProgress?: (percent: number, message: string) => void;
  onLine?: (line: string) => void;
  /** Told which backend the automatic choice picked, and why, before that build starts. */
  onChoice?: (choice: BackendChoice) => void;
  /** Cancels a build (BuildCancelledError); finding a server is not affected. */
  signal?: AbortSignal;
}

export interface ResolveOptions extends LocateOptions, BuildServerOptions {}

/** Locates llama-server, or builds it from the bundled source when none exists. */
export async function resolveServer(options: ResolveOptions): Promise<LocatedServer> {
  return (await locateServer(options)) ?? buildServer(options);
}

/** Headroom's own build for `options.backend` (the automatic choice when unset): the cached one, else built now. */
export async function buildServer(options: BuildServerOptions): Promise<LocatedServer> {
  const source = await readLlamaSource(options.sourceFrom);
  let backend = options.backend;
  if (!backend) {
    const choice = await chooseBackend();
    options.onChoice?.(choice);
    backend = choice.backend;
  }
  const existing = await findBuild(options.cacheRoot, source.commit, backend);
  const built =
    existing ??
    (await buildLlama({ source, backend, cacheRoot: options.cacheRoot, onProgress: options.onProgress, onLine: options.onLine, signal: options.signal }));
  return { path: built.server, source: existing ? 'cache' : 'built', version: built.stamp.version, fitParams: built.fitParams };
}
