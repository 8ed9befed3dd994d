import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { pathFolders, which } from '../common/run';
import type { BuildBackend } from './buildBackend';
import { installHint, platformFamily, type PrerequisiteItem } from './prerequisitePackages';

/** Everything the checks look at, so tests can point them at a made-up machine. */
export interface BuildHost {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: NodeJS.Architecture;
  /** System folders (/usr/include, /usr/share/cmake, /etc/os-release, /proc) are read under this root: '/' but in tests. */
  root: string;
}

export function currentBuildHost(): BuildHost {
  return { env: process.env, platform: process.platform, arch: process.arch, root: '/' };
}

export interface MissingPrerequisite {
  readonly item: PrerequisiteItem;
  /** What is missing or unusable, in a sentence. */
  readonly problem: string;
  /** How to get it on this machine's platform family. */
  readonly install: string;
}

export interface PrerequisiteCheck {
  readonly backend: BuildBackend;
  readonly missing: readonly MissingPrerequisite[];
  /** What was found, in words, for the log: "glslc (/usr/bin/glslc)". */
  readonly found: readonly string[];
}

const BACKEND_NAMES: Record<BuildBackend, string> = { cuda: 'CUDA', vulkan: 'Vulkan', metal: 'Metal', cpu: 'the CPU' };

/** A GPU build refused before it started, because the machine lacks what that build needs. */
export class MissingPrerequisitesError extends HeadroomError {
  constructor(
    readonly backend: BuildBackend,
    readonly missing: readonly MissingPrerequisite[],
  ) {
    super(
      `Building llama.cpp for ${BACKEND_NAMES[backend]} needs what this machine lacks:\n${missing.map((m) => `  - ${m.problem} Install: ${m.install}.`).join('\n')}`,
      'The CPU build works meanwhile.',
    );
    this.name = 'MissingPrerequisitesError';
  }
}

/** The one C++ feature of newer Vulkan headers this llama.cpp's ggml-vulkan.cpp needs (vk::LayerSettingEXT). */
const NEEDED_EXTENSION = 'VK_EXT_layer_settings';
/** The first Vulkan-Headers release that declares it (1.3.272, December 2023). */
const FIRST_HEADERS_WITH_IT = '1.3.272';

function exe(name: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${name}.exe` : name;
}

/** `name` on the host's PATH, else the first of `fallbacks` that exists. */
async function findProgram(name: string, host: BuildHost, fallbacks: readonly string[]): Promise<string | undefined> {
  return (await which(name, host.env.PATH ?? '', host.platform)) ?? fallbacks.find((f) => existsSync(f));
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => join(dir, d.name));
  } catch {
    return [];
  }
}

/** /usr and /usr/local under the host's root, where system packages install (none on Windows). */
function systemPrefixes(host: BuildHost): string[] {
  return host.platform === 'win32' ? [] : [join(host.root, 'usr'), join(host.root, 'usr', 'local')];
}

export async function findNvcc(host: BuildHost): Promise<string | undefined> {
  const fallbacks = [join(host.root, 'usr', 'local', 'cuda', 'bin', 'nvcc')];
  if (host.env.CUDA_PATH) fallbacks.unshift(join(host.env.CUDA_PATH, 'bin', exe('nvcc', host.platform)));
  return findProgram('nvcc', host, fallbacks);
}

interface HeaderDir {
  dir: string;
  /** "1.3.239", from VK_HEADER_VERSION_COMPLETE and VK_HEADER_VERSION. */
  version: string;
  hasLayerSettings: boolean;
  hasCpp: boolean;
}

/** The include folders in the order the compiler searches them: the SDK's (given with -I), the environment's, then the system's. */
function includeDirs(host: BuildHost): string[] {
  const dirs: string[] = [];
  if (host.env.VULKAN_SDK) dirs.push(join(host.env.VULKAN_SDK, host.platform === 'win32' ? 'Include' : 'include'));
  dirs.push(...pathFolders(host.env.CPLUS_INCLUDE_PATH, host.platform), ...pathFolders(host.env.CPATH, host.platform));
  dirs.push(...systemPrefixes(host).reverse().map((p) => join(p, 'include')));
  return dirs;
}

/** The Vulkan headers the compiler would use: the first include folder with vulkan/vulkan_core.h. */
async function findVulkanHeaders(host: BuildHost): Promise<HeaderDir | undefined> {
  for (const dir of includeDirs(host)) {
    let text: string;
    try {
      text = await readFile(join(dir, 'vulkan', 'vulkan_core.h'), 'utf8');
    } catch {
      continue;
    }
    const patch = /^#define VK_HEADER_VERSION (\d+)/m.exec(text)?.[1] ?? '?';
    const complete = /^#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION\(\s*\d+\s*,\s*(\d+)\s*,\s*(\d+)/m.exec(text);
    const version = complete ? `${complete[1]}.${complete[2]}.${patch}` : `?.?.${patch}`;
    const hasLayerSettings = new RegExp(`^#define ${NEEDED_EXTENSION} 1`, 'm').test(text);
    return { dir, version, hasLayerSettings, hasCpp: existsSync(join(dir, 'vulkan', 'vulkan.hpp')) };
  }
  return undefined;
}

/** Prefixes that find_package(... CONFIG) searches: CMAKE_PREFIX_PATH, $VULKAN_SDK (ggml adds it), the system's. */
function cmakePrefixes(host: BuildHost): string[] {
  const prefixes = pathFolders(host.env.CMAKE_PREFIX_PATH, host.platform);
  if (host.env.VULKAN_SDK) prefixes.push(host.env.VULKAN_SDK);
  return [...prefixes, ...systemPrefixes(host)];
}

/** SPIRV-HeadersConfig.cmake (or spirv-headers-config.cmake) in one of CMake's package folders. */
function findSpirvHeadersConfig(host: BuildHost): string | undefined {
  for (const prefix of cmakePrefixes(host)) {
    const lib = join(prefix, 'lib');
    const cmakeDirs = [join(prefix, 'share', 'cmake'), join(lib, 'cmake'), join(prefix, 'lib64', 'cmake'), ...subdirs(lib).map((d) => join(d, 'cmake'))];
    for (const cmakeDir of cmakeDirs) {
      for (const pkg of subdirs(cmakeDir).filter((d) => /[\\/]spirv-headers[^\\/]*$/i.test(d))) {
        const config = ['SPIRV-HeadersConfig.cmake', 'spirv-headers-config.cmake'].map((f) => join(pkg, f)).find((f) => existsSync(f));
        if (config) return config;
      }
    }
  }
  return undefined;
}

/** The Vulkan loader library the build links against (the development link, not only the runtime .so.1). */
function findVulkanLoader(host: BuildHost): string | undefined {
  const sdk = host.env.VULKAN_SDK;
  if (host.platform === 'win32') return sdk && existsSync(join(sdk, 'Lib', 'vulkan-1.lib')) ? join(sdk, 'Lib', 'vulkan-1.lib') : undefined;
  const file = host.platform === 'darwin' ? 'libvulkan.dylib' : 'libvulkan.so';
  const dirs = sdk ? [join(sdk, 'lib')] : [];
  for (const prefix of systemPrefixes(host)) dirs.push(join(prefix, 'lib'), join(prefix, 'lib64'), ...subdirs(join(prefix, 'lib')));
  if (host.platform === 'darwin') dirs.push(join(host.root, 'opt', 'homebrew', 'lib'));
  return dirs.map((d) => join(d, file)).find((f) => existsSync(f));
}

type NoteMissing = (item: PrerequisiteItem, problem: string) => void;

async function checkVulkan(host: BuildHost, missing: NoteMissing, found: string[]): Promise<void> {
  const sdkBin = host.env.VULKAN_SDK ? [join(host.env.VULKAN_SDK, host.platform === 'win32' ? 'Bin' : 'bin', exe('glslc', host.platform))] : [];
  const glslc = await findProgram('glslc', host, sdkBin);
  if (glslc) found.push(`glslc (${glslc})`);
  else missing('glslc', 'glslc, the Vulkan shader compiler, is not on PATH.');

  const headers = await findVulkanHeaders(host);
  const needs = `this llama.cpp needs ${NEEDED_EXTENSION} (headers ${FIRST_HEADERS_WITH_IT} or newer)`;
  if (!headers) missing('vulkan-headers', `No Vulkan headers (vulkan/vulkan_core.h) were found in ${includeDirs(host).join(', ') || 'any include folder'}; ${needs}.`);
  else if (!headers.hasLayerSettings) missing('vulkan-headers', `Vulkan headers ${headers.version} in ${headers.dir} are too old: ${needs}.`);
  else if (!headers.hasCpp) missing('vulkan-headers', `Vulkan headers ${headers.version} in ${headers.dir} have no C++ header (vulkan/vulkan.hpp), which this llama.cpp uses.`);
  else found.push(`Vulkan headers ${headers.version} (${headers.dir})`);

  const spirv = findSpirvHeadersConfig(host);
  if (spirv) found.push(`SPIRV-Headers (${spirv})`);
  else missing('spirv-headers', "SPIRV-Headers' CMake package (SPIRV-HeadersConfig.cmake) was not found.");

  const loader = findVulkanLoader(host);
  if (loader) found.push(`Vulkan loader (${loader})`);
  else missing('vulkan-loader', 'The Vulkan loader library to link against (libvulkan.so, vulkan-1.lib on Windows) was not found.');
}

/**
 * What building llama.cpp for `backend` needs and this machine lacks, each with the package that provides it.
 * Only looks at files and PATH, so it answers in milliseconds, before a build that would fail minutes in.
 */
export async function checkPrerequisites(backend: BuildBackend, host: BuildHost = currentBuildHost()): Promise<PrerequisiteCheck> {
  const family = await platformFamily(host.platform, host.root);
  const missing: MissingPrerequisite[] = [];
  const found: string[] = [];
  const record: NoteMissing = (item, problem) => missing.push({ item, problem, install: installHint(item, family) });
  if (backend === 'vulkan') await checkVulkan(host, record, found);
  if (backend === 'cuda') {
    const nvcc = await findNvcc(host);
    if (nvcc) found.push(`nvcc (${nvcc})`);
    else record('nvcc', `nvcc, the CUDA compiler, is not on PATH (nor in ${host.platform === 'win32' ? '%CUDA_PATH%\\bin' : '/usr/local/cuda/bin'}).`);
  }
  if (backend === 'metal') {
    if (host.platform === 'darwin') found.push('macOS');
    else record('macos', 'Metal is macOS only.');
  }
  return { backend, missing, found };
}

/** Rejects with MissingPrerequisitesError, naming every missing piece, unless `backend` can be built here. */
export async function requirePrerequisites(backend: BuildBackend, host: BuildHost = currentBuildHost()): Promise<PrerequisiteCheck> {
  const check = await checkPrerequisites(backend, host);
  if (check.missing.length > 0) throw new MissingPrerequisitesError(backend, check.missing);
  return check;
}
