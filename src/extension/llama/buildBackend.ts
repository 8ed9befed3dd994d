import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, which } from '../common/run';
import { checkPrerequisites, currentBuildHost, findNvcc, type BuildHost, type PrerequisiteCheck } from './backendPrerequisites';

export type BuildBackend = 'cuda' | 'vulkan' | 'metal' | 'cpu';

export const BUILD_BACKENDS: readonly BuildBackend[] = ['cuda', 'vulkan', 'metal', 'cpu'];

export interface BackendChoice {
  backend: BuildBackend;
  /** Why this one, in words, for the log and the progress message. */
  reason: string;
}

export const CMAKE_BACKEND_FLAGS: Record<BuildBackend, readonly string[]> = {
  cuda: ['-DGGML_CUDA=ON'],
  vulkan: ['-DGGML_VULKAN=ON'],
  metal: ['-DGGML_METAL=ON'],
  cpu: ['-DGGML_METAL=OFF'],
};

/** True when the machine has an NVIDIA GPU the driver sees (a CUDA compiler alone is not enough). */
async function hasNvidiaGpu(host: BuildHost): Promise<boolean> {
  try {
    if (readdirSync(join(host.root, 'proc', 'driver', 'nvidia', 'gpus')).length > 0) return true;
  } catch {
    // no driver proc entries
  }
  const smi = await which('nvidia-smi', host.env.PATH ?? '', host.platform);
  if (!smi) return false;
  try {
    const { code, stdout } = await run(smi, ['-L'], { timeoutMs: 10_000, env: host.env });
    return code === 0 && /GPU \d+:/.test(stdout);
  } catch {
    return false;
  }
}

/** Each missing piece with how to get it, "problem (install)", for a one-line reason. */
function missingList(check: PrerequisiteCheck): string {
  return check.missing.map((m) => `${m.problem} (${m.install})`).join(' ');
}

/**
 * Picks what to build for: Metal on Apple silicon, CUDA with nvcc and an NVIDIA GPU, Vulkan when everything its
 * build needs is here (glslc alone is not enough: a build without the rest fails minutes in), else CPU.
 */
export async function chooseBackend(host: BuildHost = currentBuildHost()): Promise<BackendChoice> {
  if (host.platform === 'darwin') {
    // llama.cpp's own x64 macOS builds turn Metal off: on Intel Macs' GPUs it is slower than the CPU, or fails.
    if (host.arch === 'x64') return { backend: 'cpu', reason: 'Intel Mac: CPU (llama.cpp builds Metal for Apple silicon only)' };
    return { backend: 'metal', reason: 'macOS: Metal' };
  }
  const nvcc = await findNvcc(host);
  if (nvcc && (await hasNvidiaGpu(host))) return { backend: 'cuda', reason: `NVIDIA GPU and CUDA compiler (${nvcc})` };
  const vulkan = await checkPrerequisites('vulkan', host);
  if (vulkan.missing.length === 0) return { backend: 'vulkan', reason: `Vulkan: ${vulkan.found.join(', ')}` };
  const cuda = nvcc ? `CUDA compiler found (${nvcc}) but no NVIDIA GPU` : 'no CUDA compiler (nvcc)';
  const hasGlslc = !vulkan.missing.some((m) => m.item === 'glslc');
  const why = hasGlslc ? `the Vulkan build lacks what it needs: ${missingList(vulkan)}` : 'no Vulkan shader compiler (glslc)';
  return { backend: 'cpu', reason: `CPU only: ${cuda}; ${why}` };
}
