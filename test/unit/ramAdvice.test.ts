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

test('RAM still short: a smaller quantization (weights in RAM scaled by bits) or a smaller context that would fit; nothing when RAM fits', () => {
  // 70.6B parameters at 4.63 bits per weight: 9000 MiB of weights on a GPU, 30000 MiB and a 2048 MiB KV cache in RAM.
  const split: Plan = { ...plan(30_000), devices: [{ name: 'CUDA0', totalMiB: 12288, freeMiB: 11988, modelMiB: 9000, contextMiB: 512, computeMiB: 400 }], host: { modelMiB: 30_000, contextMiB: 2048, computeMiB: 300 } };
  const model = { parameterCount: 70.6e9, tensorBytes: 39_000 * 2 ** 20, fileTypeName: 'Q4_K_M' };
  const need = 30_000 + 2048 + 300;
  assert.equal(ramFitAdvice(split, ram((need + 1024) / 1024), model), undefined, 'it fits');
  // 1000 MiB short: IQ4_XS saves about 2.5 GiB, half the context 1 GiB; Q4_K_M is this file's own quant.
  assert.equal(ramFitAdvice(split, ram((need + 1024 - 1000) / 1024), model), 'RAM would fit the IQ4_XS quantization of this model (about 34.9 GB) or a context of 4096 tokens (--ctx 4096).');
  // 2500 MiB short: more than the whole KV cache and than IQ4_XS saves.
  assert.equal(ramFitAdvice(split, ram((need + 1024 - 2500) / 1024), model), 'RAM would fit the Q3_K_M quantization of this model (about 32.1 GB).');
  assert.match(ramFitAdvice(split, ram(8), model) ?? '', /^Not even a 2-bit quantization or a 2048-token context would fit RAM/);
});
