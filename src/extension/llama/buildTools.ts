import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { run, which } from '../common/run';
import type { BuildHost } from './backendPrerequisites';

/** What cmake's Visual Studio generator asks vswhere: the newest installation with the x64 C++ compiler, Build Tools included. */
export const VSWHERE_ARGS = ['-latest', '-products', '*', '-requires', 'Microsoft.VisualStudio.Component.VC.Tools.x86.x64', '-property', 'installationPath'] as const;

/** vswhere.exe, which every Visual Studio installer (2017 and later) puts in the same place. */
export function vswherePath(host: BuildHost): string | undefined {
  const programFiles = host.env['ProgramFiles(x86)'] ?? host.env.ProgramFiles;
  return programFiles ? join(programFiles, 'Microsoft Visual Studio', 'Installer', 'vswhere.exe') : undefined;
}

/**
 * The Visual Studio (or Build Tools) installation with MSVC, found the way cmake finds it. `cl` is on PATH
 * only in a Developer Prompt, but cmake's Visual Studio generator needs no PATH: this is what it uses.
 */
export async function findMsvc(host: BuildHost): Promise<string | undefined> {
  const vswhere = vswherePath(host);
  if (!vswhere || !existsSync(vswhere)) return undefined;
  try {
    const result = await run(vswhere, VSWHERE_ARGS, { env: host.env, timeoutMs: 30_000 });
    const installation = result.stdout.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '');
    return result.code === 0 ? installation : undefined;
  } catch {
    return undefined;
  }
}

/**
 * macOS ships /usr/bin/git and /usr/bin/c++ as stubs that only ask for the Xcode Command Line Tools, so
 * finding them on PATH proves nothing; `xcode-select -p` fails while those tools are missing.
 */
async function requireCommandLineTools(host: BuildHost): Promise<void> {
  const xcodeSelect = await which('xcode-select', host.env.PATH ?? '', host.platform);
  if (!xcodeSelect) return;
  let failure: string | undefined;
  try {
    const result = await run(xcodeSelect, ['-p'], { env: host.env, timeoutMs: 15_000 });
    if (result.code !== 0) failure = (result.stderr || result.stdout).trim() || `xcode-select -p exited with ${result.code ?? result.signal}`;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  if (failure !== undefined) {
    throw new HeadroomError(
      `Building llama.cpp needs the Xcode Command Line Tools, which are not installed (${failure}); git and c++ are only their stubs until then.`,
      'Install them with: xcode-select --install',
    );
  }
}

const COMPILER_HINTS: Partial<Record<NodeJS.Platform, string>> = {
  win32: 'Install Visual Studio Build Tools with "Desktop development with C++" (https://visualstudio.microsoft.com/downloads/).',
  darwin: 'Install the Xcode Command Line Tools: xcode-select --install.',
};

/** A C++ compiler cmake will use: on Windows MSVC (on PATH or from vswhere), else c++, g++ or clang++ on PATH. */
async function findCompiler(host: BuildHost): Promise<string | undefined> {
  const onPath = async (names: readonly string[]): Promise<string | undefined> => {
    for (const name of names) {
      const found = await which(name, host.env.PATH ?? '', host.platform);
      if (found) return found;
    }
    return undefined;
  };
  if (host.platform !== 'win32') return onPath(['c++', 'g++', 'clang++']);
  return (await onPath(['cl'])) ?? (await findMsvc(host)) ?? (await onPath(['clang++', 'g++']));
}

/** Refuses a build, naming what to install, unless git, CMake and a C++ compiler are here. */
export async function requireBuildTools(host: BuildHost): Promise<void> {
  if (host.platform === 'darwin') await requireCommandLineTools(host);
  if (!(await which('git', host.env.PATH ?? '', host.platform))) {
    throw new HeadroomError('Building llama.cpp needs git, which was not found.', 'Install it (Debian/Ubuntu: sudo apt-get install git; Windows: https://git-scm.com).');
  }
  if (!(await which('cmake', host.env.PATH ?? '', host.platform))) {
    throw new HeadroomError('Building llama.cpp needs CMake, which was not found.', 'Install it (Debian/Ubuntu: sudo apt-get install cmake; macOS: brew install cmake; Windows: https://cmake.org/download).');
  }
  if (await findCompiler(host)) return;
  throw new HeadroomError(
    'Building llama.cpp needs a C++ compiler, and none was found.',
    COMPILER_HINTS[host.platform] ?? 'Install one (Debian/Ubuntu: sudo apt-get install build-essential; Fedora: sudo dnf install gcc-c++).',
  );
}
