import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ramFitAdvice, ramShortfallAdvice } from '../../src/extension/memory/ramAdvice';
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

test('RAM still short with the GPU full: a smaller quantization or a smaller context that would fit, nothing when RAM fits', () => {
  // 70B at about 4.6 bits per weight: 9000 MiB of weights on a GPU, 30000 MiB and a 2048 MiB KV cache in RAM.
  const split: Plan = { ...plan(30_000), devices: [{ name: 'CUDA0', totalMiB: 12288, freeMiB: 11988, modelMiB: 9000, contextMiB: 512, computeMiB: 400 }], host: { modelMiB: 30_000, contextMiB: 2048, computeMiB: 300 } };
  const need = 30_000 + 2048 + 300;
  assert.equal(ramFitAdvice(split, ram((need + 1024) / 1024), 70.6e9), undefined, 'it fits');
  const short = ramFitAdvice(split, ram((need + 1024 - 1000) / 1024), 70.6e9);
  assert.equal(short, 'Everything that fits the GPU is already on it, and RAM is still short: the IQ4_XS quantization of this model (about 34.9 GB) or a context of 4096 tokens (--ctx 4096) would fit.');
  // Short by more than the whole KV cache: only a smaller quantization; Q4_K_M is not smaller than this file, so not offered.
  assert.match(ramFitAdvice(split, ram((need + 1024 - 2500) / 1024), 70.6e9) ?? '', /: the (IQ4_XS|Q3_K_M) quantization of this model \(about [\d.]+ GB\) would fit\.$/);
  assert.match(ramFitAdvice(split, ram(8), 70.6e9) ?? '', /even a 2-bit quantization or a 2048-token context would not fit/);
});
