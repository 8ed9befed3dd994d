// The largest tensor a GPU takes, measured with llama.cpp itself. A device refuses a weight (and ops)
// larger than its limit (Vulkan: maxStorageBufferRange, 128 MiB on Mesa's lavapipe, 2-4 GiB on most
// drivers), and llama.cpp prints that limit nowhere; one dry run of a probe header whose layers hold
// weights of increasing size shows which sizes the device kept. The estimate takes it as data
// (EstimateDevice.maxTensorBytes).
import { join } from 'node:path';
import { readGgufHeader } from '../gguf/header';
import { writeGguf } from '../gguf/writer/ggufWriter';
import { TENSOR_LIMIT_RUNGS, tensorLimitProbeSpec } from '../gguf/writer/probeModel';
import { estimateMemory } from '../memory/estimate';
import { dryRun, type DryRunOptions } from './dryRun';

export interface TensorLimit {
  /** The largest probe tensor the device kept, in bytes; undefined when it kept them all (16 GiB and more). */
  readonly maxTensorBytes: number | undefined;
  /** The smallest probe tensor it refused. */
  readonly refusedBytes: number | undefined;
}

/** The limit whose placement (as the estimator computes it) gives the device's measured weights. */
export function limitFromModelMiB(measuredMiB: number, probe: Parameters<typeof estimateMemory>[0]): TensorLimit {
  const candidates = [TENSOR_LIMIT_RUNGS[0]! - 1, ...TENSOR_LIMIT_RUNGS];
  let best = 0;
  let bestError = Infinity;
  candidates.forEach((limit, k) => {
    const e = estimateMemory(probe, { contextSize: 256, devices: [{ name: 'probe', freeMiB: 1, maxTensorBytes: limit }] });
    const error = Math.abs((e.devices[0]?.modelMiB ?? 0) - measuredMiB);
    if (error < bestError) {
      bestError = error;
      best = k;
    }
  });
  const kept = best === 0 ? undefined : TENSOR_LIMIT_RUNGS[best - 1];
  const refused = TENSOR_LIMIT_RUNGS[best];
  return { maxTensorBytes: refused === undefined ? undefined : (kept ?? 0), refusedBytes: refused };
}

/**
 * Measures one device's tensor limit with llama-fit-params (`device` as --list-devices names it,
 * e.g. "Vulkan0"); `dir` receives the probe header (a few hundred KB on disk, sparse).
 */
export async function probeTensorLimit(fitParams: string, device: string, dir: string, options: DryRunOptions = {}): Promise<TensorLimit> {
  const path = join(dir, 'headroom-tensor-limit-probe.gguf');
  const spec = tensorLimitProbeSpec();
  await writeGguf(path, spec.kvs, spec.tensors);
  const measured = await dryRun(fitParams, path, ['-dev', device, '-ngl', '999', '-c', '256', '-fa', 'off'], options);
  const row = measured.devices.find((d) => d.name === device) ?? measured.devices[0];
  const probe = await readGgufHeader(path);
  return limitFromModelMiB(row?.modelMiB ?? 0, probe);
}
