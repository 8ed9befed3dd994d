import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { quoteArg } from '../common/commandLine';
import { HeadroomError } from '../common/errors';
import { run, which } from '../common/run';
import { readBinaryVersion } from './binaryVersion';
import { BUILD_BACKENDS, chooseBackend, type BackendChoice, type BuildBackend } from './buildBackend';
import { buildLlama, builtBinary, findBuild, readCurrentStamp } from './llamaBuild';
import { readLlamaSource } from './llamaSource';

export type ServerSource = 'setting' | 'path' | 'build-folder' | 'cache' | 'built';

export interface LocatedServer {
  path: string;
  source: ServerSource;
  version: string;
  /** llama-fit-params beside it, when that build has one. */
  fitParams?: string;
  /** llama.cpp's RPC worker beside it (ggml-rpc-server, rpc-server in older releases), when that build has one. */
  rpcServer?: string;
  /** llama-bench beside it, when that build has one (measured tuning). */
  bench?: string;
}

export interface LocateOptions {
  /** headroom.llamaServerPath; when set it is the only candidate. */
  configuredPath?: string;
  cacheRoot: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  platform?: NodeJS.Platform;
  /** System folders (/opt, /usr/local, /opt/homebrew) are looked for under this root: '/' but in tests. */
  root?: string;
}

function exe(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/**
 * Where people usually build llama.cpp by hand, and on macOS where Homebrew installs it: apps started from
 * the Dock or Finder get a PATH without /opt/homebrew/bin (Apple silicon) or /usr/local/bin (Intel).
 */
export function usualBuildFolders(home: string, platform: NodeJS.Platform = process.platform, root = '/'): string[] {
  const roots = ['llama.cpp', join('src', 'llama.cpp'), join('code', 'llama.cpp'), join('git', 'llama.cpp'), join('projects', 'llama.cpp')];
  const dirs = roots.flatMap((r) => [join(home, r, 'build', 'bin'), join(home, r, 'build', 'bin', 'Release')]);
  if (platform === 'win32') return dirs;
  dirs.push(join(root, 'opt', 'llama.cpp', 'build', 'bin'));
  if (platform === 'darwin') dirs.push(join(root, 'opt', 'homebrew', 'bin'), join(root, 'usr', 'local', 'bin'));
  return dirs;
}

async function candidate(path: string, source: ServerSource, platform: NodeJS.Platform): Promise<LocatedServer | undefined> {
  if (!existsSync(path)) return undefined;
  const version = await readBinaryVersion(path);
  if (!version) return undefined;
  const beside = (name: string): string | undefined => {
    const file = join(dirname(path), exe(name, platform));
    return existsSync(file) ? file : undefined;
  };
  return { path, source, version: version.text, fitParams: beside('llama-fit-params'), bench: beside('llama-bench'), rpcServer: rpcServerBeside(path, platform) };
}

/** The RPC worker binary in the folder of `server`: the name this llama.cpp builds, then the older releases' one. */
export function rpcServerBeside(server: string, platform: NodeJS.Platform = process.platform): string | undefined {
  return RPC_SERVER_NAMES.map((name) => join(dirname(server), exe(name, platform))).find((p) => existsSync(p));
}

const RPC_SERVER_NAMES = ['ggml-rpc-server', 'rpc-server'];

/**
 * True when macOS has quarantined `path` (a download not yet opened from Finder): Gatekeeper then stops it
 * before it can answer --version, which otherwise looks like a binary that is not llama-server.
 */
export async function isQuarantined(path: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<boolean> {
  if (platform !== 'darwin') return false;
  const xattr = await which('xattr', env.PATH ?? '', platform);
  if (!xattr) return false;
  try {
    const result = await run(xattr, ['-p', 'com.apple.quarantine', path], { env, timeoutMs: 10_000 });
    return result.code === 0 && result.stdout.trim() !== '';
  } catch {
    return false;
  }
}

/** Why a configured llama-server cannot be used, in words, with what to do about it. */
async function configuredPathError(path: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Promise<HeadroomError> {
  const fix = 'Fix the setting, or clear it to let Headroom find or build llama-server.';
  if (!existsSync(path)) return new HeadroomError(`headroom.llamaServerPath (${path}) does not exist.`, fix);
  if (await isQuarantined(path, env, platform)) {
    return new HeadroomError(
      `headroom.llamaServerPath (${path}) does not answer --version: macOS has quarantined it, as it does every downloaded program until it is allowed.`,
      `Allow it with: xattr -d com.apple.quarantine ${quoteArg(path, 'posix')}`,
    );
  }
  return new HeadroomError(`headroom.llamaServerPath (${path}) does not answer --version like llama-server does.`, fix);
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
  const platform = options.platform ?? process.platform;
  if (options.configuredPath) {
    const found = await candidate(options.configuredPath, 'setting', platform);
    if (found) return found;
    throw await configuredPathError(options.configuredPath, env, platform);
  }
  const onPath = await which('llama-server', env.PATH ?? '', platform);
  const fromPath = onPath && (await candidate(onPath, 'path', platform));
  if (fromPath) return fromPath;
  for (const dir of usualBuildFolders(options.home ?? homedir(), platform, options.root)) {
    const found = await candidate(join(dir, exe('llama-server', platform)), 'build-folder', platform);
    if (found) return found;
  }
  for (const name of await cachedBuilds(options.cacheRoot)) {
    const dir = join(options.cacheRoot, 'llama.cpp', name);
    if (!(await readCurrentStamp(dir, platform))) continue;
    const found = await candidate(builtBinary(dir, 'llama-server', platform), 'cache', platform);
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
  return { path: built.server, source: existing ? 'cache' : 'built', version: built.stamp.version, fitParams: built.fitParams, rpcServer: rpcServerBeside(built.server), bench: existsSync(built.bench) ? built.bench : undefined };
}
