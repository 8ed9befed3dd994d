import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ramShortfallAdvice } from '../../src/extension/memory/ramAdvice';
import type { Plan } from '../../src/extension/memory/planTypes';
import type { HardwareFacts } from '../../src/extension/memory/hardware';

const plan = (hostModelMiB: number): Plan => ({
  source: 'dry-run', args: [], devices: [], host: { modelMiB: hostModelMiB, contextMiB: 1024, computeMiB: 300 }, hostRepackMiB: 0,
  gpuLayers: { onGpu: 0, total: 81 }, contextSize: 8192, cacheTypeK: 'f16', cacheTypeV: 'f16', flashAttn: true, threads: 8, mmap: true,
  cpuMoeLayers: 0, batch: 2048, ubatch: 512, fits: false, reasons: [], warnings: [],
});
const ram = (availableGiB: number): HardwareFacts => ({ gpus: [], ramTotalMiB: 65536, ramAvailableMiB: availableGiB * 1024, physicalCores: 8, logicalCores: 16 });

test('RAM advice: a 70B Q8_0 (70 GiB) on 48 GiB free says what is missing and that Q4_K_M fits', () => {
  const text = ramShortfallAdvice(plan(71_494), ram(48), 70.6e9);
  assert.match(text, /needs 71\.1 GiB of RAM, and 47\.0 GiB is available: 24\.1 GiB is missing/);
  assert.match(text, /A Q4_K_M file of this model \(about 39\.9 GB\) would fit/);
});

test('RAM advice: nothing fits -> says so', () => {
  assert.match(ramShortfallAdvice(plan(40_000), ram(8), 70.6e9), /Even a 2-bit quantization/);
});
