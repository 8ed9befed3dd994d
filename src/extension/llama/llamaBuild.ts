import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, HeadroomError } from '../common/errors';
import { withFileLock } from '../common/fileLock';
import { renameWithRetry } from '../common/renameWithRetry';
import { currentBuildHost, requirePrerequisites, type BuildHost } from './backendPrerequisites';
import { readBinaryVersion } from './binaryVersion';
import { buildProgressReader } from './buildProgress';
import { requireBuildTools } from './buildTools';
import { cleanEnv } from './childEnv';
import { CMAKE_BACKEND_FLAGS, type BuildBackend } from './buildBackend';
import type { LlamaSource } from './llamaSource';
import { NodeProcessLauncher, type ManagedProcess, type ProcessLauncher } from './processLauncher';

/** Every binary Headroom runs, built in one cmake run: the server, its dry run, timed trials and RPC workers. */
export const BUILD_TARGETS = ['llama-server', 'llama-fit-params', 'llama-bench', 'ggml-rpc-server'] as const;
export type BuildTarget = (typeof BUILD_TARGETS)[number];

/**
 * Bumped whenever the cmake flags or targets change, so a cached build made by an older recipe is rebuilt
 * (the cache key stays llama.cpp version + backend; the stamp says which recipe made it).
 */
export const BUILD_RECIPE = 2;

/**
 * ggml's AMX kernels (Xeon Sapphire Rapids and later) crashed llama-server with SIGSEGV while loading a Q8_0
 * model on such a machine with this llama.cpp version; -march=native turns them on wherever the CPU has AMX.
 * Explicit -mno-* flags win over -march=native in GCC and Clang, so the rest of the native ISA stays.
 */
const NO_AMX = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';

export function cmakeConfigureFlags(src: string, buildPath: string, backend: BuildBackend, arch: string = process.arch, platform: NodeJS.Platform = process.platform): string[] {
  const flags = [
    '-S', src, '-B', buildPath,
    '-DCMAKE_BUILD_TYPE=Release',
    '-DBUILD_SHARED_LIBS=OFF',
    '-DLLAMA_CURL=OFF',
    '-DLLAMA_OPENSSL=OFF',
    '-DLLAMA_BUILD_TESTS=OFF',
    '-DLLAMA_BUILD_EXAMPLES=OFF',
    // The server's web UI is not used, and its prebuilt assets would be downloaded at build time.
    '-DLLAMA_BUILD_UI=OFF',
    '-DLLAMA_USE_PREBUILT_UI=OFF',
    '-DGGML_RPC=ON',
    ...CMAKE_BACKEND_FLAGS[backend],
  ];
  // MSVC has no -m flags; its /arch options never turn AMX on by themselves.
  if (arch === 'x64' && platform !== 'win32') flags.push(`-DCMAKE_C_FLAGS=${NO_AMX}`, `-DCMAKE_CXX_FLAGS=${NO_AMX}`);
  return flags;
}

/** Written last, after the binaries answered --version: its presence means "this build is complete". */
export const BUILD_STAMP = 'headroom-build.json';

export interface BuildStamp {
  commit: string;
  backend: BuildBackend;
  version: string;
  /** BUILD_RECIPE of the build that wrote it; absent in stamps from before recipes were counted. */
  recipe?: number;
  seconds: number;
  builtAt: string;
}

export interface BuildOptions {
  source: LlamaSource;
  backend: BuildBackend;
  cacheRoot: string;
  onProgress?: (percent: number, message: string) => void;
  onLine?: (line: string) => void;
  jobs?: number;
  launcher?: ProcessLauncher;
  /** Aborting stops the running step (its whole process tree) and rejects with BuildCancelledError. */
  signal?: AbortSignal;
  /** The machine the build runs on (platform, arch, environment, where tools are looked for); this one by default. */
  host?: BuildHost;
}

/** The build was cancelled: its step was stopped and no stamp was written. */
export class BuildCancelledError extends CancelledError {
  constructor(readonly step: string) {
    super(`The llama.cpp build was cancelled (${step}).`, 'Nothing was stamped; the next build starts that step again.');
    this.name = 'BuildCancelledError';
  }
}

/** How long a cancelled step has to end after SIGTERM before its process tree gets SIGKILL. */
const CANCEL_GRACE_MS = 5_000;

export interface BuiltLlama {
  dir: string;
  server: string;
  fitParams: string;
  bench: string;
  stamp: BuildStamp;
}

/** llama.cpp builds live in <cache>/llama.cpp/<commit12>-<backend>/ so each version and backend builds once. */
export function buildDir(cacheRoot: string, commit: string, backend: BuildBackend): string {
  return join(cacheRoot, 'llama.cpp', `${commit.slice(0, 12)}-${backend}`);
}

/**
 * Where a build in `dir` has `target`: build/bin with one-configuration generators (Makefiles, Ninja),
 * build/bin/Release with multi-configuration ones (Visual Studio, cmake's default on Windows, which is
 * looked at first there). The path it would have when neither exists yet.
 */
export function builtBinary(dir: string, target: BuildTarget, platform: NodeJS.Platform = process.platform): string {
  const file = platform === 'win32' ? `${target}.exe` : target;
  const single = join(dir, 'build', 'bin', file);
  const multi = join(dir, 'build', 'bin', 'Release', file);
  const [first, second] = platform === 'win32' ? [multi, single] : [single, multi];
  return !existsSync(first) && existsSync(second) ? second : first;
}

function binaries(dir: string, platform: NodeJS.Platform): { server: string; fitParams: string; bench: string } {
  return { server: builtBinary(dir, 'llama-server', platform), fitParams: builtBinary(dir, 'llama-fit-params', platform), bench: builtBinary(dir, 'llama-bench', platform) };
}

/** The stamp of a finished build made by the current recipe, if `dir` holds one. */
export async function readCurrentStamp(dir: string, platform: NodeJS.Platform = process.platform): Promise<BuildStamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, BUILD_STAMP), 'utf8')) as BuildStamp;
    return stamp.recipe === BUILD_RECIPE && existsSync(binaries(dir, platform).server) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** The finished build for this source and backend, if there is one. */
export async function findBuild(cacheRoot: string, commit: string, backend: BuildBackend, platform: NodeJS.Platform = process.platform): Promise<BuiltLlama | undefined> {
  const dir = buildDir(cacheRoot, commit, backend);
  const stamp = await readCurrentStamp(dir, platform);
  return stamp?.commit === commit ? { dir, ...binaries(dir, platform), stamp } : undefined;
}

/**
 * The environment of git and cmake. On Windows MSBuild's worker nodes would otherwise stay alive after the
 * build, holding its output pipe open, so the build step would never be seen to end.
 */
export function buildEnv(host: BuildHost): NodeJS.ProcessEnv {
  const env = cleanEnv(host.env);
  if (host.platform === 'win32') env.MSBUILDDISABLENODEREUSE = '1';
  return env;
}

/** cmake reports each target's percentage separately; the bar this makes only ever moves forward. */
type Progress = (percent: number, message: string) => void;

function forwardOnlyProgress(onProgress: BuildOptions['onProgress']): Progress {
  let shown = 0;
  return (percent, message) => {
    shown = Math.max(shown, percent);
    onProgress?.(shown, message);
  };
}

/** What each build step runs with: the machine, the launcher, the build folder and where its output goes. */
interface StepContext {
  readonly dir: string;
  readonly host: BuildHost;
  readonly launcher: ProcessLauncher;
  readonly progress: Progress;
  readonly onLine?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * Builds llama-server and llama-fit-params from the bundled llama.cpp source, once per version and
 * backend. Safe to call from several processes at once: the second waits for the first's build.
 */
export async function buildLlama(options: BuildOptions): Promise<BuiltLlama> {
  const { source, backend, cacheRoot } = options;
  const host = options.host ?? currentBuildHost();
  const existing = await findBuild(cacheRoot, source.commit, backend, host.platform);
  if (existing) return existing;
  await requireBuildTools(host);
  await requirePrerequisites(backend, host);
  const dir = buildDir(cacheRoot, source.commit, backend);
  await mkdir(dir, { recursive: true });
  const progress = forwardOnlyProgress(options.onProgress);
  return withFileLock(
    `${dir}.lock`,
    async () => {
      const done = await findBuild(cacheRoot, source.commit, backend, host.platform);
      if (done) return done;
      const started = Date.now();
      const launcher = options.launcher ?? new NodeProcessLauncher({ platform: host.platform, env: host.env });
      const ctx: StepContext = { dir, host, launcher, progress, onLine: options.onLine, signal: options.signal };
      const src = await unpackSource(ctx, source);
      await runStep(ctx, 3, 8, `Configuring llama.cpp (${backend})`, 'cmake', cmakeConfigureFlags(src, join(dir, 'build'), backend, host.arch, host.platform));
      const jobs = String(options.jobs ?? Math.max(1, cpus().length));
      await runStep(ctx, 8, 98, `Building llama.cpp (${backend})`, 'cmake', ['--build', join(dir, 'build'), '--config', 'Release', '-j', jobs, '--target', ...BUILD_TARGETS]);
      if (options.signal?.aborted) throw new BuildCancelledError('before checking the new llama-server');
      progress(98, 'Checking the new llama-server');
      const built = await stampBuild(dir, source.commit, backend, started, host.platform);
      progress(100, 'llama.cpp is built');
      return built;
    },
    () => progress(0, 'Waiting for another llama.cpp build of the same version to finish'),
  );
}

/** Runs one command of the build in its folder, mapping cmake's percentages onto percentFrom..percentTo. */
async function runStep(ctx: StepContext, percentFrom: number, percentTo: number, message: string, command: string, args: string[]): Promise<void> {
  if (ctx.signal?.aborted) throw new BuildCancelledError(message);
  ctx.progress(percentFrom, message);
  const proc = await ctx.launcher.launch(command, args, { env: buildEnv(ctx.host), cwd: ctx.dir });
  const stop = stopOnAbort(proc, ctx.signal);
  const tail: string[] = [];
  const percentOf = buildProgressReader();
  const onLine = (line: string): void => {
    ctx.onLine?.(line);
    tail.push(line);
    if (tail.length > 30) tail.shift();
    const p = percentOf(line);
    if (p !== undefined) ctx.progress(percentFrom + ((percentTo - percentFrom) * p) / 100, message);
  };
  proc.onStdoutLine(onLine);
  proc.onStderrLine(onLine);
  const exit = await proc.exited.finally(() => stop.dispose());
  if (stop.stopped) throw new BuildCancelledError(message);
  if (exit.code !== 0) {
    throw new HeadroomError(`${message} failed (${command} exited with ${exit.code ?? exit.signal}).`, `Last output:\n${tail.join('\n')}`);
  }
}

/**
 * While `proc` runs, an abort of `signal` ends its process tree (compilers and all): SIGTERM, then SIGKILL
 * if it outlives the grace (on Windows the launcher's taskkill /T /F at once). `stopped` says whether that
 * happened; `dispose` detaches once the process ended.
 */
function stopOnAbort(proc: ManagedProcess, signal: AbortSignal | undefined): { readonly stopped: boolean; dispose(): void } {
  let stopped = false;
  let escalation: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    stopped = true;
    proc.kill('SIGTERM');
    escalation = setTimeout(() => proc.kill('SIGKILL'), CANCEL_GRACE_MS);
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get stopped() {
      return stopped;
    },
    dispose() {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(escalation);
    },
  };
}

/** Clones the source bundle into <dir>/src unless an earlier build left it there; returns that folder. */
async function unpackSource(ctx: StepContext, source: LlamaSource): Promise<string> {
  const src = join(ctx.dir, 'src');
  if (existsSync(join(src, 'CMakeLists.txt'))) return src;
  // Cloned beside it and renamed, so an interrupted clone never looks like a complete source tree.
  const tmp = join(ctx.dir, `src.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await runStep(ctx, 0, 3, 'Unpacking the llama.cpp source', 'git', ['clone', '--quiet', source.bundle, tmp]);
  await rm(src, { recursive: true, force: true });
  await renameWithRetry(tmp, src, { platform: ctx.host.platform });
  return src;
}

/** Checks that the new llama-server answers --version, then writes the stamp that marks the build complete. */
async function stampBuild(dir: string, commit: string, backend: BuildBackend, started: number, platform: NodeJS.Platform): Promise<BuiltLlama> {
  const bins = binaries(dir, platform);
  const version = await readBinaryVersion(bins.server);
  if (!version) throw new HeadroomError(`The new llama-server (${bins.server}) did not answer --version.`);
  const stamp: BuildStamp = { commit, backend, version: version.text, recipe: BUILD_RECIPE, seconds: Math.round((Date.now() - started) / 1000), builtAt: new Date().toISOString() };
  await writeFile(join(dir, BUILD_STAMP), JSON.stringify(stamp, null, 2));
  return { dir, ...bins, stamp };
}
