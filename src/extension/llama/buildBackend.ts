import { existsSync, readdirSync } from 'node:fs';
import { run, which } from '../common/run';

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

async function findNvcc(): Promise<string | undefined> {
  const onPath = await which('nvcc');
  if (onPath) return onPath;
  const fallback = '/usr/local/cuda/bin/nvcc';
  return existsSync(fallback) ? fallback : undefined;
}

/** True when the machine has an NVIDIA GPU the driver sees (a CUDA compiler alone is not enough). */
async function hasNvidiaGpu(): Promise<boolean> {
  try {
    if (readdirSync('/proc/driver/nvidia/gpus').length > 0) return true;
  } catch {
    // no driver proc entries
  }
  const smi = await which('nvidia-smi');
  if (!smi) return false;
  try {
    const { code, stdout } = await run(smi, ['-L'], { timeoutMs: 10_000 });
    return code === 0 && /GPU \d+:/.test(stdout);
  } catch {
    return false;
  }
}

/** Picks what to build for: CUDA with nvcc and an NVIDIA GPU, Vulkan with glslc, Metal on macOS, else CPU. */
export async function chooseBackend(platform: NodeJS.Platform = process.platform): Promise<BackendChoice> {
  if (platform === 'darwin') return { backend: 'metal', reason: 'macOS: Metal' };
  const nvcc = await findNvcc();
  if (nvcc && (await hasNvidiaGpu())) return { backend: 'cuda', reason: `NVIDIA GPU and CUDA compiler (${nvcc})` };
  const glslc = await which('glslc');
  if (glslc) return { backend: 'vulkan', reason: `Vulkan shader compiler found (${glslc})` };
  const why = nvcc ? 'CUDA compiler found but no NVIDIA GPU' : 'no GPU toolkit found (nvcc for CUDA, glslc for Vulkan)';
  return { backend: 'cpu', reason: `CPU only: ${why}` };
}
