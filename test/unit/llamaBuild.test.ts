// buildLlama's steps with a scripted launcher standing in for git and cmake (the real build is what the
// integration tests' realServer() does once per machine): the commands, the progress bar, the stamp, errors.
// What is Windows' or macOS's own is in windowsBuild.test.ts and macosBuild.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemAt } from '../fixtures/itemAt';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadroomError } from '../../src/extension/common/errors';
import { MissingPrerequisitesError } from '../../src/extension/llama/backendPrerequisites';
import { BUILD_RECIPE, BUILD_STAMP, BuildCancelledError, buildDir, buildLlama, cmakeConfigureFlags, findBuild, type BuildOptions } from '../../src/extension/llama/llamaBuild';
import { NodeProcessLauncher } from '../../src/extension/llama/processLauncher';
import { isAlive } from '../fixtures/processes';
import { ScriptedBuildLauncher, type StepScript } from '../fixtures/scriptedBuild';

const SOURCE = { commit: '0123456789abcdef0123456789abcdef01234567', bundle: '/bundles/llama.cpp.bundle' };

/** A PATH holding empty executables named `tools`, so requireTools finds exactly those. */
function pathWith(root: string, tools: readonly string[]): string {
  const dir = join(root, 'path-bin');
  mkdirSync(dir, { recursive: true });
  for (const tool of tools) {
    writeFileSync(join(dir, tool), '#!/bin/sh\n');
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

async function withPath<T>(path: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = path;
  try {
    return await body();
  } finally {
    process.env.PATH = saved;
  }
}

function tempCache(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'headroom-build-'));
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

const BUILD_LINES = ['[ 10%] Building ggml', '[  5%] Building common', '[100%] Built target llama-server'];
const OK_SCRIPT = (command: string, args: readonly string[]): StepScript => {
  if (command === 'git') return { lines: [], code: 0 };
  return { lines: args[0] === '--build' ? BUILD_LINES : ['-- Configuring done'], code: 0 };
};

test('buildLlama: clones, configures and builds in its folder, checks --version, stamps; the bar only moves forward; a second call reuses the build', async () => {
  const cache = tempCache();
  try {
    const launcher = new ScriptedBuildLauncher(OK_SCRIPT);
    const progress: number[] = [];
    const lines: string[] = [];
    const options: BuildOptions = { source: SOURCE, backend: 'cpu', cacheRoot: cache.root, jobs: 3, launcher, onProgress: (p) => progress.push(p), onLine: (l) => lines.push(l) };
    const built = await withPath(pathWith(cache.root, ['git', 'cmake', 'c++']), () => buildLlama(options));
    const dir = buildDir(cache.root, SOURCE.commit, 'cpu');
    assert.deepEqual(
      launcher.commands.map((c) => c.slice(0, 3).join(' ').replace(dir, '<dir>')),
      [`git clone --quiet`, `cmake -S <dir>/src`, `cmake --build <dir>/build`],
    );
    assert.deepEqual(itemAt(launcher.commands, 2).slice(-7), ['-j', '3', '--target', 'llama-server', 'llama-fit-params', 'llama-bench', 'ggml-rpc-server']);
    assert.ok(itemAt(launcher.commands, 1).includes('-DGGML_METAL=OFF'), 'the backend\'s flags');
    assert.ok(itemAt(launcher.commands, 1).includes('-DGGML_RPC=ON'), 'the RPC backend, for rpc-server and --rpc');
    assert.equal(built.stamp.recipe, BUILD_RECIPE);
    assert.deepEqual(lines, ['-- Configuring done', ...BUILD_LINES]);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), `the bar never goes back: ${progress.join(', ')}`);
    assert.equal(progress.at(-1), 100);
    assert.equal(built.stamp.version, '4242 (0123456)');
    assert.equal(built.stamp.commit, SOURCE.commit);
    assert.ok(existsSync(join(dir, BUILD_STAMP)));
    assert.ok(!existsSync(join(dir, `src.tmp-${process.pid}`)), 'the clone was moved into place');

    const again = await buildLlama(options);
    assert.equal(launcher.commands.length, 3, 'nothing launched the second time');
    assert.deepEqual(again.stamp, built.stamp);
  } finally {
    cache.dispose();
  }
});

test('buildLlama: a failing step names itself and carries its last output; no stamp is written', async () => {
  const cache = tempCache();
  try {
    const launcher = new ScriptedBuildLauncher((command) => (command === 'cmake' ? { lines: ['-- The C compiler is broken', 'CMake Error: no'], code: 2 } : { lines: [], code: 0 }));
    await withPath(pathWith(cache.root, ['git', 'cmake', 'c++']), async () => {
      await assert.rejects(buildLlama({ source: SOURCE, backend: 'cpu', cacheRoot: cache.root, launcher }), (err: unknown) => {
        assert.ok(err instanceof HeadroomError);
        assert.equal(err.message, 'Configuring llama.cpp (cpu) failed (cmake exited with 2).');
        assert.equal(err.hint, 'Last output:\n-- The C compiler is broken\nCMake Error: no');
        return true;
      });
    });
    assert.ok(!existsSync(join(buildDir(cache.root, SOURCE.commit, 'cpu'), BUILD_STAMP)));
  } finally {
    cache.dispose();
  }
});

test('buildLlama: a missing build tool is named with how to install it, before anything is launched', async () => {
  const cache = tempCache();
  try {
    const launcher = new ScriptedBuildLauncher(OK_SCRIPT);
    await withPath(pathWith(cache.root, ['git', 'c++']), async () => {
      await assert.rejects(buildLlama({ source: SOURCE, backend: 'cpu', cacheRoot: cache.root, launcher }), /needs CMake, which was not found/);
    });
    assert.deepEqual(launcher.commands, []);
  } finally {
    cache.dispose();
  }
});

test('buildLlama: an explicit Vulkan build on a machine without its prerequisites is refused before anything is launched', async () => {
  const cache = tempCache();
  try {
    const launcher = new ScriptedBuildLauncher(OK_SCRIPT);
    const tools = pathWith(cache.root, ['git', 'cmake', 'c++', 'glslc']);
    // A bare root: glslc is on PATH, but no Vulkan headers, SPIRV-Headers or loader.
    const host = { platform: 'linux' as const, arch: 'x64' as const, root: join(cache.root, 'bare-root'), env: { PATH: tools } };
    await withPath(tools, async () => {
      await assert.rejects(buildLlama({ source: SOURCE, backend: 'vulkan', cacheRoot: cache.root, launcher, host }), (err: unknown) => {
        assert.ok(err instanceof MissingPrerequisitesError);
        assert.deepEqual(err.missing.map((m) => m.item), ['vulkan-headers', 'spirv-headers', 'vulkan-loader']);
        return true;
      });
    });
    assert.deepEqual(launcher.commands, []);
  } finally {
    cache.dispose();
  }
});

// A step that is not stopped would run for 300 s: the timeout turns that into a failure.
test('buildLlama: scripted cmake: cancelling kills the running step and the child it started, writes no stamp, rejects typed', { timeout: 30_000 }, async () => {
  const cache = tempCache();
  try {
    const dir = buildDir(cache.root, SOURCE.commit, 'cpu');
    // The source is already unpacked, so the first step is cmake's configure.
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'CMakeLists.txt'), '');
    const tools = pathWith(cache.root, ['git', 'c++']);
    const pids = join(cache.root, 'pids');
    mkdirSync(pids);
    writeFileSync(
      join(tools, 'cmake'),
      `#!/bin/sh\n/bin/sleep 300 &\necho $! > '${pids}/child'\necho $$ > '${pids}/cmake'\necho 'scripted cmake running'\nwait\n`,
    );
    chmodSync(join(tools, 'cmake'), 0o755);
    const abort = new AbortController();
    const onLine = (line: string): void => {
      if (line === 'scripted cmake running') abort.abort();
    };
    const options: BuildOptions = { source: SOURCE, backend: 'cpu', cacheRoot: cache.root, launcher: new NodeProcessLauncher(), signal: abort.signal, onLine };
    await withPath(tools, async () => {
      await assert.rejects(buildLlama(options), (err: unknown) => {
        assert.ok(err instanceof BuildCancelledError, String(err));
        assert.equal(err.message, 'The llama.cpp build was cancelled (Configuring llama.cpp (cpu)).');
        return true;
      });
    });
    const cmakePid = Number(readFileSync(join(pids, 'cmake'), 'utf8'));
    const childPid = Number(readFileSync(join(pids, 'child'), 'utf8'));
    assert.equal(isAlive(cmakePid), false, 'the scripted cmake is gone');
    assert.equal(isAlive(childPid), false, 'the child it started is gone with it');
    assert.ok(!existsSync(join(dir, BUILD_STAMP)), 'no stamp');
    assert.ok(!existsSync(`${dir}.lock`), 'the lock is released');
  } finally {
    cache.dispose();
  }
});

test('buildLlama: a build cancelled before it starts launches nothing', async () => {
  const cache = tempCache();
  try {
    const launcher = new ScriptedBuildLauncher(OK_SCRIPT);
    await withPath(pathWith(cache.root, ['git', 'cmake', 'c++']), async () => {
      await assert.rejects(buildLlama({ source: SOURCE, backend: 'cpu', cacheRoot: cache.root, launcher, signal: AbortSignal.abort() }), BuildCancelledError);
    });
    assert.deepEqual(launcher.commands, []);
  } finally {
    cache.dispose();
  }
});

test('cmake flags: AMX kernels off on x64 with GCC/Clang flags, untouched for MSVC and Arm', () => {
  const amx = (flags: string[]): string[] => flags.filter((f) => f.includes('amx'));
  assert.deepEqual(amx(cmakeConfigureFlags('s', 'b', 'cpu', 'x64', 'linux')), [
    '-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
    '-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
  ]);
  assert.deepEqual(amx(cmakeConfigureFlags('s', 'b', 'cpu', 'x64', 'win32')), []);
  assert.deepEqual(amx(cmakeConfigureFlags('s', 'b', 'metal', 'arm64', 'darwin')), []);
});

test('findBuild: a build stamped by an older recipe (or none) is not used, so it is rebuilt', async () => {
  const cache = tempCache();
  try {
    const dir = buildDir(cache.root, SOURCE.commit, 'cpu');
    mkdirSync(join(dir, 'build', 'bin'), { recursive: true });
    writeFileSync(join(dir, 'build', 'bin', 'llama-server'), '');
    const stamp = { commit: SOURCE.commit, backend: 'cpu', version: 'x', seconds: 1, builtAt: 'then' };
    writeFileSync(join(dir, BUILD_STAMP), JSON.stringify(stamp));
    assert.equal(await findBuild(cache.root, SOURCE.commit, 'cpu'), undefined, 'no recipe: from before recipes');
    writeFileSync(join(dir, BUILD_STAMP), JSON.stringify({ ...stamp, recipe: BUILD_RECIPE }));
    assert.equal((await findBuild(cache.root, SOURCE.commit, 'cpu'))?.stamp.recipe, BUILD_RECIPE);
  } finally {
    cache.dispose();
  }
});
