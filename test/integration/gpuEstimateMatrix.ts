// The Vulkan build's matrix: GPU splits on Mesa's lavapipe (a real Vulkan device on the CPU: 2 GiB,
// tensors up to 128 MiB), each case per device (Vulkan0 and host) and per component. The lavapipe-sized
// models keep every tensor, and every op of a 512-token batch, under 128 MiB, so they place as on a
// real GPU; the real-sized ones (dry runs allocate nothing, so they need not fit) test the limit:
// weights and ops the device refuses stay in host memory and on the CPU.
import { join } from 'node:path';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { findBuild } from '../../src/extension/llama/llamaBuild';
import { readLlamaSource } from '../../src/extension/llama/llamaSource';
import { probeTensorLimit } from '../../src/extension/llama/deviceLimits';
import { listBuildDevices } from '../../src/extension/llama/listDevices';
import type { EstimateDevice } from '../../src/extension/memory/estimate';
import type { MatrixBuild, MatrixCase } from './estimateMatrix';

const REPO = join(__dirname, '..', '..', '..');

/** llama.cpp skips CPU-type Vulkan devices (lavapipe) unless they are listed explicitly. */
export const LAVAPIPE_ENV = { GGML_VK_VISIBLE_DEVICES: '0' } as const;

/** ggml-vulkan's suballocation block: the largest buffer it allocates at once (compute buffers come in such chunks). */
const VULKAN_MAX_BUFFER = 1024 * 1024 * 1024;

export interface VulkanBuild {
  /** Why there is none: no Vulkan build in the cache, or no device it can use. */
  readonly missing?: string;
  readonly build?: MatrixBuild;
  readonly device?: EstimateDevice;
}

/** The cached Vulkan build and its first device, with the device's tensor limit measured by a probe dry run. */
export async function vulkanBuild(dir: string): Promise<VulkanBuild> {
  const source = await readLlamaSource(REPO);
  const built = await findBuild(headroomCacheDir(), source.commit, 'vulkan');
  if (!built) return { missing: 'no Vulkan build of the bundled llama.cpp in the cache (headroom build --backend vulkan)' };
  const saved = process.env.GGML_VK_VISIBLE_DEVICES;
  process.env.GGML_VK_VISIBLE_DEVICES = LAVAPIPE_ENV.GGML_VK_VISIBLE_DEVICES;
  let devices;
  try {
    devices = await listBuildDevices(built.server);
  } finally {
    if (saved === undefined) delete process.env.GGML_VK_VISIBLE_DEVICES;
    else process.env.GGML_VK_VISIBLE_DEVICES = saved;
  }
  const first = devices[0];
  if (!first) return { missing: `the Vulkan build sees no device (install Mesa's lavapipe: mesa-vulkan-drivers)` };
  const limit = await probeTensorLimit(built.fitParams, first.name, dir, { env: LAVAPIPE_ENV });
  const device: EstimateDevice = {
    name: first.name,
    freeMiB: first.freeMiB,
    maxTensorBytes: limit.maxTensorBytes,
    maxBufferBytes: VULKAN_MAX_BUFFER,
    backend: 'vulkan',
  };
  return { build: { fitParams: built.fitParams, devices: [device], dryRun: { env: LAVAPIPE_ENV } }, device };
}

const FA_OFF = '-fa off';
const Q8 = '-fa on -ctk q8_0 -ctv q8_0';
const Q4 = '-fa on -ctk q4_0 -ctv q4_0';

/**
 * -ngl 0 (op offload still runs big matmuls on the GPU), partial and full offload; flash attention
 * on and off; f16, q8_0 and q4_0 caches; MoE with experts in RAM; six architectures.
 */
export const VULKAN_MATRIX: readonly MatrixCase[] = [
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 0' },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 10' },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: `-ngl 20 ${FA_OFF}` },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 33' },
  { model: 'llama3-8b', quant: 'Q4_K_M', ctx: 4096, flags: `-ngl 33 ${Q8}` },
  { model: 'small-llama', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-llama', quant: 'Q8_0', ctx: 4096, flags: '-ngl 8' },
  { model: 'small-llama', quant: 'Q8_0', ctx: 4096, flags: '-ngl 17' },
  { model: 'small-llama', quant: 'Q8_0', ctx: 8192, flags: `-ngl 17 ${FA_OFF}` },
  { model: 'small-llama', quant: 'Q8_0', ctx: 8192, flags: `-ngl 17 ${Q8}` },
  { model: 'small-qwen2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-qwen2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 8' },
  { model: 'small-qwen2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 17' },
  { model: 'small-qwen2', quant: 'Q8_0', ctx: 8192, flags: `-ngl 17 ${FA_OFF}` },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 6' },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 13' },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 8192, flags: `-ngl 13 ${FA_OFF}` },
  { model: 'small-gemma3', quant: 'Q8_0', ctx: 8192, flags: `-ngl 13 ${Q4}` },
  { model: 'small-phi3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-phi3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 6' },
  { model: 'small-phi3', quant: 'Q8_0', ctx: 4096, flags: '-ngl 13' },
  { model: 'small-phi3', quant: 'Q8_0', ctx: 8192, flags: `-ngl 13 ${FA_OFF}` },
  { model: 'small-deepseek2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-deepseek2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 3' },
  { model: 'small-deepseek2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 7' },
  { model: 'small-deepseek2', quant: 'Q8_0', ctx: 8192, flags: `-ngl 7 ${FA_OFF}` },
  { model: 'small-deepseek2', quant: 'Q8_0', ctx: 4096, flags: '-ngl 7 --cpu-moe' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 0' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 4' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 9' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 8192, flags: `-ngl 9 ${FA_OFF}` },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 9 --cpu-moe' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 4096, flags: '-ngl 9 --n-cpu-moe 4' },
  { model: 'small-qwen3moe', quant: 'Q8_0', ctx: 8192, flags: `-ngl 9 ${Q8}` },
  // Held back.
  { model: 'small-llama', quant: 'Q4_0', ctx: 16384, flags: '-ngl 12 -ub 256', heldBack: true },
  { model: 'small-qwen2', quant: 'F16', ctx: 8192, flags: `-ngl 17 ${Q4}`, heldBack: true },
  { model: 'small-gemma3', quant: 'Q4_K_M', ctx: 16384, flags: `-ngl 4 ${FA_OFF}`, heldBack: true },
  { model: 'small-phi3', quant: 'Q4_0', ctx: 4096, flags: `-ngl 13 ${Q8}`, heldBack: true },
  { model: 'small-deepseek2', quant: 'Q4_K_M', ctx: 8192, flags: '-ngl 7 --n-cpu-moe 3', heldBack: true },
  { model: 'small-qwen3moe', quant: 'Q4_K_M', ctx: 8192, flags: '-ngl 5 -b 1024 -ub 1024', heldBack: true },
  { model: 'qwen2.5-7b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 29', heldBack: true },
  { model: 'gemma3-4b', quant: 'Q4_K_M', ctx: 8192, flags: '-ngl 35', heldBack: true },
  { model: 'phi3-mini', quant: 'Q8_0', ctx: 4096, flags: `-ngl 16 ${FA_OFF}`, heldBack: true },
  { model: 'deepseek-v2-lite', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 28 --cpu-moe', heldBack: true },
  { model: 'mixtral-8x7b', quant: 'Q4_K_M', ctx: 4096, flags: '-ngl 33 --cpu-moe', heldBack: true },
];
