// The build on Windows, run on Linux with the platform injected: cmake's Visual Studio generator puts the
// programs in build\bin\Release, MSVC is found with a fake vswhere.exe in a temp folder standing in for
// Program Files (printing what the real one prints), MSBuild's progress lines move the bar, and CUDA is
// found through %CUDA_PATH%. Paths stay this machine's (the code joins with the running OS's separator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkPrerequisites, type BuildHost } from '../../src/extension/llama/backendPrerequisites';
import { chooseBackend } from '../../src/extension/llama/buildBackend';
import { buildProgressReader, finishedMsbuildProject, parseBuildPercent } from '../../src/extension/llama/buildProgress';
import { requireBuildTools, VSWHERE_ARGS } from '../../src/extension/llama/buildTools';
import { BUILD_STAMP, BUILD_TARGETS, buildDir, buildLlama, builtBinary, findBuild, type BuildOptions } from '../../src/extension/llama/llamaBuild';
import { locateServer } from '../../src/extension/llama/locateServer';
import { inTempDir, logArgs, loggedCalls, writeFakeServer, writeTool } from '../fixtures/fakeTools';
import { itemAt } from '../fixtures/itemAt';
import { type StepScript, ScriptedBuildLauncher } from '../fixtures/scriptedBuild';

const SOURCE = { commit: '0123456789abcdef0123456789abcdef01234567', bundle: 'C:\\bundles\\llama.cpp.bundle' };

/** What `vswhere.exe -latest ... -property installationPath` prints with Build Tools 2022 installed (CRLF, as it writes). */
const VSWHERE_FOUND = 'C:\\Program Files (x86)\\Microsoft Visual Studio\\2022\\BuildTools\r\n';

/**
 * An MSBuild run of the four targets, as `cmake --build build --config Release` prints it (abridged: the
 * compiler's file names between projects are fewer than in a real run).
 */
const MSBUILD_LINES = [
  'MSBuild version 17.9.8+b34f75857 for .NET Framework',
  '  1>Checking Build System',
  '  Building Custom Rule C:/Users/dev/AppData/Local/headroom/llama.cpp/0123456789ab-cpu/src/ggml/src/CMakeLists.txt',
  '  ggml.c',
  '  ggml-base.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\ggml\\src\\Release\\ggml-base.lib',
  '  ggml-cpu.c',
  '  ggml-cpu.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\ggml\\src\\Release\\ggml-cpu.lib',
  '  ggml.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\ggml\\src\\Release\\ggml.lib',
  '  llama.cpp',
  '  llama.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\src\\Release\\llama.lib',
  '  common.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\common\\Release\\common.lib',
  '  server.cpp',
  '  llama-server.vcxproj -> C:\\Users\\dev\\AppData\\Local\\headroom\\llama.cpp\\0123456789ab-cpu\\build\\bin\\Release\\llama-server.exe',
];

/** A Windows machine: `tools` on PATH (as scripts), and Program Files (x86) in a temp folder, with vswhere.exe when given its output. */
function windowsHost(root: string, tools: readonly string[], vswhereOutput?: string): BuildHost {
  const bin = join(root, 'path-bin');
  for (const tool of tools) writeTool(join(bin, `${tool}.exe`), 'exit 0');
  const programFiles = join(root, 'Program Files (x86)');
  if (vswhereOutput !== undefined) {
    writeTool(join(programFiles, 'Microsoft Visual Studio', 'Installer', 'vswhere.exe'), `${logArgs(join(root, 'vswhere.log'))}\nprintf '%s' '${vswhereOutput}'`);
  }
  return { platform: 'win32', arch: 'x64', root, env: { PATH: bin, 'ProgramFiles(x86)': programFiles, SystemRoot: 'C:\\Windows' } };
}

const MSBUILD_SCRIPT = (command: string, args: readonly string[]): StepScript =>
  command === 'cmake' && args[0] === '--build' ? { lines: MSBUILD_LINES, code: 0 } : { lines: [], code: 0 };

/** Where cmake's Visual Studio generator leaves each program: build\bin\Release\<name>.exe. */
const visualStudioLayout = (build: string): string[] => BUILD_TARGETS.map((t) => join(build, 'bin', 'Release', `${t}.exe`));

test('Windows build: the stand-in llama-server.exe in build\\bin\\Release (Visual Studio\'s layout) is checked and stamped, and found again from the cache', async () => {
  await inTempDir('win-build', async (root) => {
    const cacheRoot = join(root, 'cache');
    const host = windowsHost(root, ['git', 'cmake'], VSWHERE_FOUND);
    const launcher = new ScriptedBuildLauncher(MSBUILD_SCRIPT, visualStudioLayout);
    const progress: number[] = [];
    const options: BuildOptions = { source: SOURCE, backend: 'cpu', cacheRoot, launcher, host, onProgress: (p) => progress.push(p) };
    const built = await buildLlama(options);
    const release = join(buildDir(cacheRoot, SOURCE.commit, 'cpu'), 'build', 'bin', 'Release');
    assert.equal(built.server, join(release, 'llama-server.exe'));
    assert.equal(built.fitParams, join(release, 'llama-fit-params.exe'));
    assert.equal(built.stamp.version, '4242 (0123456)', 'the Release llama-server answered --version');
    assert.ok(existsSync(join(built.dir, BUILD_STAMP)));

    for (const env of launcher.envs) assert.equal(env.MSBUILDDISABLENODEREUSE, '1', 'MSBuild keeps no worker nodes holding the output pipe');
    assert.ok(!itemAt(launcher.commands, 1).some((f) => f.includes('amx')), 'no GCC flags for MSVC');

    const during = progress.filter((p) => p > 8 && p < 98);
    assert.ok(during.length >= 5, `MSBuild's project lines move the bar: ${progress.join(', ')}`);

    assert.equal((await findBuild(cacheRoot, SOURCE.commit, 'cpu', 'win32'))?.server, built.server, 'the cache has it');
    assert.equal(await findBuild(cacheRoot, SOURCE.commit, 'cpu', 'linux'), undefined, 'a Linux build would be in build/bin');
    const located = await locateServer({ cacheRoot, env: { PATH: '' }, home: join(root, 'home'), platform: 'win32' });
    assert.deepEqual(located && { path: located.path, source: located.source, fitParams: located.fitParams }, {
      path: built.server,
      source: 'cache',
      fitParams: built.fitParams,
    });
    const again = await buildLlama(options);
    assert.equal(launcher.commands.length, 3, 'the second call reuses the build');
    assert.deepEqual(again.stamp, built.stamp);
  });
});

test('builtBinary: every target is looked for in build/bin/Release and build/bin, Release first on Windows only', async () => {
  await inTempDir('win-bins', async (dir) => {
    for (const target of BUILD_TARGETS) {
      const release = join(dir, 'build', 'bin', 'Release', `${target}.exe`);
      const single = join(dir, 'build', 'bin', `${target}.exe`);
      assert.equal(builtBinary(dir, target, 'win32'), release, `${target}: neither built yet, Visual Studio's place`);
      writeFakeServer(single);
      assert.equal(builtBinary(dir, target, 'win32'), single, `${target}: a Ninja build's place, when only it exists`);
      writeFakeServer(release);
      assert.equal(builtBinary(dir, target, 'win32'), release, `${target}: both: Release first`);
      assert.equal(builtBinary(dir, target, 'linux'), join(dir, 'build', 'bin', target), `${target}: Linux, neither built: build/bin`);
      writeFakeServer(join(dir, 'build', 'bin', 'Release', target));
      assert.equal(builtBinary(dir, target, 'linux'), join(dir, 'build', 'bin', 'Release', target), `${target}: Linux, a multi-config build: Release`);
      writeFakeServer(join(dir, 'build', 'bin', target));
      assert.equal(builtBinary(dir, target, 'linux'), join(dir, 'build', 'bin', target), `${target}: Linux, both: build/bin first`);
    }
  });
});

test('Windows build tools: MSVC is found with vswhere (as cmake finds it) when cl is not on PATH; without it the build is refused naming Build Tools', async () => {
  await inTempDir('win-msvc', async (root) => {
    const found = windowsHost(root, ['git', 'cmake'], VSWHERE_FOUND);
    await requireBuildTools(found);
    assert.deepEqual(loggedCalls(join(root, 'vswhere.log')), [VSWHERE_ARGS.join(' ')], 'asked exactly what cmake asks');
  });
  await inTempDir('win-msvc', async (root) => {
    // Visual Studio installed without the C++ workload: vswhere prints nothing and exits 0.
    const noCpp = windowsHost(root, ['git', 'cmake'], '');
    await assert.rejects(requireBuildTools(noCpp), (err: unknown) => {
      assert.ok(err instanceof Error && 'hint' in err);
      assert.equal(err.message, 'Building llama.cpp needs a C++ compiler, and none was found.');
      assert.match(String(err.hint), /Visual Studio Build Tools with "Desktop development with C\+\+"/);
      return true;
    });
  });
  await inTempDir('win-msvc', async (root) => {
    await assert.rejects(requireBuildTools(windowsHost(root, ['git', 'cmake'])), /needs a C\+\+ compiler/, 'no Visual Studio installer at all');
    await requireBuildTools(windowsHost(root, ['git', 'cmake', 'cl']));
  });
});

test('Windows build tools: a build with no compiler is refused before anything is launched', async () => {
  await inTempDir('win-refuse', async (root) => {
    const launcher = new ScriptedBuildLauncher(MSBUILD_SCRIPT, visualStudioLayout);
    const host = windowsHost(root, ['git', 'cmake'], '');
    await assert.rejects(buildLlama({ source: SOURCE, backend: 'cpu', cacheRoot: join(root, 'cache'), launcher, host }), /needs a C\+\+ compiler/);
    assert.deepEqual(launcher.commands, []);
  });
});

test('Windows CUDA: nvcc is found in %CUDA_PATH%\\bin and the GPU through nvidia-smi.exe on PATH, so CUDA is chosen', async () => {
  await inTempDir('win-cuda', async (root) => {
    const cuda = join(root, 'NVIDIA GPU Computing Toolkit', 'CUDA', 'v12.4');
    writeTool(join(cuda, 'bin', 'nvcc.exe'), 'exit 0');
    const bin = join(root, 'System32');
    writeTool(join(bin, 'nvidia-smi.exe'), `${logArgs(join(root, 'smi.log'))}\necho 'GPU 0: NVIDIA GeForce RTX 4090 (UUID: GPU-5a3e1c2b-0000-0000-0000-000000000000)'`);
    const host: BuildHost = { platform: 'win32', arch: 'x64', root, env: { PATH: bin, CUDA_PATH: cuda } };
    const nvcc = join(cuda, 'bin', 'nvcc.exe');
    assert.deepEqual((await checkPrerequisites('cuda', host)).found, [`nvcc (${nvcc})`]);
    assert.deepEqual(await chooseBackend(host), { backend: 'cuda', reason: `NVIDIA GPU and CUDA compiler (${nvcc})` });
    assert.deepEqual(loggedCalls(join(root, 'smi.log')), ['-L']);
    const without = await checkPrerequisites('cuda', { ...host, env: { PATH: bin } });
    assert.equal(itemAt(without.missing, 0).problem, 'nvcc, the CUDA compiler, is not on PATH (nor in %CUDA_PATH%\\bin).');
  });
});

test('build progress: Makefile percentages, Ninja\'s [done/total], and MSBuild\'s finished projects', () => {
  assert.equal(parseBuildPercent('[ 42%] Building CXX object ggml/src/CMakeFiles/ggml-base.dir/ggml.cpp.o'), 42);
  assert.equal(parseBuildPercent('[123/492] Building CXX object ggml/src/CMakeFiles/ggml-cpu.dir/ggml-cpu/ops.cpp.o'), 25);
  assert.equal(parseBuildPercent('[492/492] Linking CXX executable bin/llama-server'), 100);
  assert.equal(parseBuildPercent('[0/0] Re-checking globbed directories...'), undefined);
  assert.equal(parseBuildPercent('ninja: no work to do.'), undefined);

  assert.equal(finishedMsbuildProject(itemAt(MSBUILD_LINES, 4)), 'ggml-base');
  assert.equal(finishedMsbuildProject('  1>llama-server.vcxproj -> C:\\b\\bin\\Release\\llama-server.exe'), 'llama-server');
  assert.equal(finishedMsbuildProject('  Building Custom Rule C:/src/CMakeLists.txt'), undefined);

  const read = buildProgressReader();
  const shown = MSBUILD_LINES.map(read).filter((p) => p !== undefined);
  assert.equal(shown.length, 6, 'one step per finished project');
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b));
  assert.ok(shown.every((p) => p > 0 && p <= 95), `the bar stops short of the end until the build ends: ${shown.join(', ')}`);
  assert.equal(read(itemAt(MSBUILD_LINES, 4)), itemAt(shown, 5), 'a project named again does not count twice');
});
