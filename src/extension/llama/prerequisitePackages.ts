import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The platform families whose package names Headroom knows. */
export type PlatformFamily = 'debian' | 'fedora' | 'linux' | 'macos' | 'windows';

/** What a GPU build can lack; each has its own package. */
export type PrerequisiteItem = 'glslc' | 'vulkan-headers' | 'spirv-headers' | 'vulkan-loader' | 'nvcc' | 'macos';

const LUNARG = 'the LunarG Vulkan SDK (https://vulkan.lunarg.com/sdk/home)';

/** Per item, where to get it: Debian/Ubuntu and Fedora packages, and the SDKs for Windows and macOS. */
const PACKAGES: Record<PrerequisiteItem, { debian: string; fedora: string; windows: string; macos: string }> = {
  'glslc': { debian: 'sudo apt-get install glslc', fedora: 'sudo dnf install glslc', windows: LUNARG, macos: LUNARG },
  'vulkan-headers': {
    debian:
      "sudo apt-get install libvulkan-dev, version 1.3.272 or newer (Debian 13, Ubuntu 24.04); Debian 12's 1.3.239 is too old: " +
      `put Debian trixie's libvulkan-dev headers on CPLUS_INCLUDE_PATH, or install ${LUNARG}`,
    fedora: 'sudo dnf install vulkan-headers',
    windows: LUNARG,
    macos: LUNARG,
  },
  'spirv-headers': { debian: 'sudo apt-get install spirv-headers', fedora: 'sudo dnf install spirv-headers-devel', windows: LUNARG, macos: LUNARG },
  'vulkan-loader': { debian: 'sudo apt-get install libvulkan-dev', fedora: 'sudo dnf install vulkan-loader-devel', windows: LUNARG, macos: LUNARG },
  'nvcc': {
    debian: 'sudo apt-get install nvidia-cuda-toolkit, or the CUDA Toolkit from https://developer.nvidia.com/cuda-downloads',
    fedora: "the cuda-toolkit package from NVIDIA's CUDA repository (https://developer.nvidia.com/cuda-downloads)",
    windows: 'the CUDA Toolkit (https://developer.nvidia.com/cuda-downloads)',
    macos: 'nothing: CUDA does not run on macOS; Metal is its GPU backend',
  },
  'macos': { debian: 'a Mac', fedora: 'a Mac', windows: 'a Mac', macos: 'nothing' },
};

/** How to get `item` on `family`; on a Linux Headroom cannot place, both families' names. */
export function installHint(item: PrerequisiteItem, family: PlatformFamily): string {
  const p = PACKAGES[item];
  if (family === 'linux') return p.debian === p.fedora ? p.debian : `Debian/Ubuntu: ${p.debian}; Fedora: ${p.fedora}`;
  return p[family];
}

/** The family from the platform and, on Linux, /etc/os-release's ID and ID_LIKE (read under `root`). */
export async function platformFamily(platform: NodeJS.Platform, root: string): Promise<PlatformFamily> {
  if (platform === 'win32') return 'windows';
  if (platform === 'darwin') return 'macos';
  let text = '';
  try {
    text = await readFile(join(root, 'etc', 'os-release'), 'utf8');
  } catch {
    return 'linux';
  }
  const ids = [...text.matchAll(/^(?:ID|ID_LIKE)=["']?([^"'\n]*)/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/));
  if (ids.some((id) => id === 'debian' || id === 'ubuntu')) return 'debian';
  if (ids.some((id) => id === 'fedora' || id === 'rhel' || id === 'centos')) return 'fedora';
  return 'linux';
}
