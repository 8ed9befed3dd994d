import { gpusFromDeviceList, type GpuFacts, type HardwareFacts, type ListedDevice } from '../memory/hardware';
import { run } from '../common/run';
import { cleanEnv } from './childEnv';

/** A device this build of llama.cpp can use, as `--list-devices` prints it. */
export type BuildDevice = ListedDevice;

/** Parses `llama-server --list-devices`: "  CUDA0: NVIDIA GeForce RTX 3060 (12288 MiB, 11264 MiB free)". */
export function parseListDevices(output: string): BuildDevice[] {
  const devices: BuildDevice[] = [];
  for (const line of output.split('\n')) {
    const m = /^\s+(\S+):\s+(.*)\s+\((\d+) MiB, (\d+) MiB free\)\s*$/.exec(line);
    // All four groups are required by the pattern, so a match has them.
    if (m) devices.push({ name: m[1]!, description: m[2]!, totalMiB: Number(m[3]), freeMiB: Number(m[4]) });
  }
  return devices;
}

/**
 * The GPUs this build of llama.cpp can use, as it sees them (Vulkan and Metal too, not only NVIDIA). It starts every
 * backend (a CUDA context, a Vulkan instance) in a process of its own, so it is read when a server is planned, not
 * sampled while one runs.
 */
export async function listBuildDevices(binary: string, before: readonly string[] = []): Promise<BuildDevice[]> {
  try {
    // `before`: --rpc registers the workers' devices when parsed, so it has to come before --list-devices.
    const result = await run(binary, [...before, '--list-devices'], { timeoutMs: 30_000, env: cleanEnv(process.env) });
    return result.code === 0 ? parseListDevices(result.stdout) : [];
  } catch {
    return [];
  }
}

/** The live GPUs that can be the build's devices: NVIDIA's for CUDA, AMD's for ROCm, any for other backends. */
function liveCandidates(facts: HardwareFacts, devices: readonly BuildDevice[]): GpuFacts[] {
  const backends = new Set(devices.map((d) => d.name.replace(/\d+$/, '')));
  const only = backends.size === 1 ? [...backends][0] : undefined;
  if (only === 'CUDA') return facts.gpus.filter((g) => (g.source ?? 'nvidia-smi') === 'nvidia-smi');
  if (only === 'ROCm') return facts.gpus.filter((g) => g.source === 'sysfs');
  return facts.gpus;
}

/**
 * The GPUs to plan for: those the build can use. The live numbers (nvidia-smi, AMD's sysfs) are kept where the
 * machine reports as many GPUs of the build's kind (an AMD iGPU beside an NVIDIA card does not count for CUDA);
 * else llama.cpp's own, marked as read at start. A build without GPU support plans for none, whatever the machine has.
 */
export function gpusForBuild(facts: HardwareFacts, devices: readonly BuildDevice[]): HardwareFacts {
  if (devices.length === 0) return { ...facts, gpus: [] };
  const live = liveCandidates(facts, devices);
  if (live.length === devices.length) return { ...facts, gpus: live };
  return { ...facts, gpus: gpusFromDeviceList(devices) };
}
