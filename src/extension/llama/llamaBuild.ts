import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, HeadroomError } from '../common/errors';
import { withFileLock } from '../common/fileLock';
import { which } from '../common/run';
import { currentBuildHost, requirePrerequisites, type BuildHost } from './backendPrerequisites';
import { readBinaryVersion } from './binaryVersion';
import { cleanEnv } from './childEnv';
import { CMAKE_BACKEND_FLAGS, type BuildBackend } from './buildBackend';
import type { LlamaSource } from './llamaSource';
import { NodeProcessLauncher, type ManagedProcess, type ProcessLauncher } from './processLauncher';

/** Every binary Headroom runs, built in one cmake run: the server, its dry run, timed trials and RPC workers. */
export const BUILD_TARGETS = ['llama-server', 'llama-fit-params', 'llama-bench', 'ggml-rpc-server'] as const;

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

export function cmakeConfigureFlags(src: string, buildPath: string, backend: BuildBackend, arch = process.arch, platform = process.platform): string[] {
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
  onProgress?(percent: number, message: string): void;
  onLine?(line: string): void;
  jobs?: number;
  launcher?: ProcessLauncher;
  /** Aborting stops the running step (its whole process group) and rejects with BuildCancelledError. */
  signal?: AbortSignal;
  /** Where the backend's prerequisites are looked for; this machine by default. */
  host?: BuildHost;
}

/** The build was cancelled: its step was stopped and no stamp was written. */
export class BuildCancelledError extends CancelledError {
  constructor(readonly step: string) {
    super(`The llama.cpp build was cancelled (${step}).`, 'Nothing was stamped; the next build starts that step again.');
    this.name = 'BuildCancelledError';
  }
}

/** How long a cancelled step has to end after SIGTERM before its process group gets SIGKILL. */
const CANCEL_GRACE_MS = 5_000;

export interface BuiltLlama {
  dir: string;
  server: string;
  fitParams: string;
  stamp: BuildStamp;
}

/** llama.cpp builds live in <cache>/llama.cpp/<commit12>-<backend>/ so each version and backend builds once. */
export function buildDir(cacheRoot: string, commit: string, backend: BuildBackend): string {
  return join(cacheRoot, 'llama.cpp', `${commit.slice(0, 12)}-${backend}`);
}

function binaries(dir: string): { server: string; fitParams: string } {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { server: join(dir, 'build', 'bin', `llama-server${exe}`), fitParams: join(dir, 'build', 'bin', `llama-fit-params${exe}`) };
}

/** The stamp of a finished build made by the current recipe, if `dir` holds one. */
export async function readCurrentStamp(dir: string): Promise<BuildStamp | undefined> {
  try {
    const stamp = JSON.parse(await readFile(join(dir, BUILD_STAMP), 'utf8')) as BuildStamp;
    return stamp.recipe === BUILD_RECIPE && existsSync(binaries(dir).server) ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** The finished build for this source and backend, if there is one. */
export async function findBuild(cacheRoot: string, commit: string, backend: BuildBackend): Promise<BuiltLlama | undefined> {
  const dir = buildDir(cacheRoot, commit, backend);
  const stamp = await readCurrentStamp(dir);
  return stamp?.commit === commit ? { dir, ...binaries(dir), stamp } : undefined;
}

/** Maps cmake's "[ 42%] Building ..." lines onto the build phase's share of the bar. */
export function parseBuildPercent(line: string): number | undefined {
  const m = /^\[\s*(\d{1,3})%\]/.exec(line);
  return m ? Number(m[1]) : undefined;
}

async function requireTools(): Promise<void> {
  if (!(await which('git'))) throw new HeadroomError('Building llama.cpp needs git, which was not found.', 'Install it (Debian/Ubuntu: sudo apt-get install git).');
  if (!(await which('cmake'))) {
    throw new HeadroomError('Building llama.cpp needs CMake, which was not found.', 'Install it (Debian/Ubuntu: sudo apt-get install cmake; macOS: brew install cmake).');
  }
  const compilers = process.platform === 'win32' ? ['cl', 'clang++', 'g++'] : ['c++', 'g++', 'clang++'];
  for (const c of compilers) if (await which(c)) return;
  throw new HeadroomError(
    'Building llama.cpp needs a C++ compiler, and none was found.',
    'Install one (Debian/Ubuntu: sudo apt-get install build-essential; Fedora: sudo dnf install gcc-c++; macOS: xcode-select --install).',
  );
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

/** What each build step runs with: the launcher, the build folder and where its output goes. */
interface StepContext {
  readonly dir: string;
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
  const existing = await findBuild(cacheRoot, source.commit, backend);
  if (existing) return existing;
  await requireTools();
  await requirePrerequisites(backend, options.host ?? currentBuildHost());
  const dir = buildDir(cacheRoot, source.commit, backend);
  await mkdir(dir, { recursive: true });
  const progress = forwardOnlyProgress(options.onProgress);
  return withFileLock(
    `${dir}.lock`,
    async () => {
      const done = await findBuild(cacheRoot, source.commit, backend);
      if (done) return done;
      const started = Date.now();
      const ctx: StepContext = { dir, launcher: options.launcher ?? new NodeProcessLauncher(), progress, onLine: options.onLine, signal: options.signal };
      const src = await unpackSource(ctx, source);
      await runStep(ctx, 3, 8, `Configuring llama.cpp (${backend})`, 'cmake', cmakeConfigureFlags(src, join(dir, 'build'), backend));
      const jobs = String(options.jobs ?? Math.max(1, cpus().length));
      await runStep(ctx, 8, 98, `Building llama.cpp (${backend})`, 'cmake', ['--build', join(dir, 'build'), '--config', 'Release', '-j', jobs, '--target', ...BUILD_TARGETS]);
      if (options.signal?.aborted) throw new BuildCancelledError('before checking the new llama-server');
      progress(98, 'Checking the new llama-server');
      const built = await stampBuild(dir, source.commit, backend, started);
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
  const proc = await ctx.launcher.launch(command, args, { env: cleanEnv(process.env), cwd: ctx.dir });
  const stop = stopOnAbort(proc, ctx.signal);
  const tail: string[] = [];
  const onLine = (line: string): void => {
    ctx.onLine?.(line);
    tail.push(line);
    if (tail.length > 30) tail.shift();
    const p = parseBuildPercent(line);
    if (p !== undefined) ctx.progress(percentFrom + ((percentTo - percentFrom) * p) / 100, message);
  };
  proc.onStdoutLine(onLine);
  proc.onStderrLine(onLine);
  const exit = await proc.exited.finally(stop.dispose);
  if (stop.stopped) throw new BuildCancelledError(message);
  if (exit.code !== 0) {
    throw new HeadroomError(`${message} failed (${command} exited with ${exit.code ?? exit.signal}).`, `Last output:\n${tail.join('\n')}`);
  }
}

/**
 * While `proc` runs, an abort of `signal` ends its process group (compilers and all): SIGTERM, then SIGKILL
 * if it outlives the grace. `stopped` says whether that happened; `dispose` detaches once the process ended.
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
  await rename(tmp, src);
  return src;
}

/** Checks that the new llama-server answers --version, then writes the stamp that marks the build complete. */
async function stampBuild(dir: string, commit: string, backend: BuildBackend, started: number): Promise<BuiltLlama> {
  const bins = binaries(dir);
  const version = await readBinaryVersion(bins.server);
  if (!version) throw new HeadroomError(`The new llama-server (${bins.server}) did not answer --version.`);
  const stamp: BuildStamp = { commit, backend, version: version.text, recipe: BUILD_RECIPE, seconds: Math.round((Date.now() - started) / 1000), builtAt: new Date().toISOString() };
  await writeFile(join(dir, BUILD_STAMP), JSON.stringify(stamp, null, 2));
  return { dir, ...bins, stamp };
}
