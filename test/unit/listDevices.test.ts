import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gpusForBuild, parseListDevices } from '../../src/extension/llama/listDevices';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { itemAt } from '../fixtures/itemAt';

const base: HardwareFacts = { gpus: [], ramTotalMiB: 65536, ramAvailableMiB: 60000, physicalCores: 8, logicalCores: 16 };

test('--list-devices: CUDA and Vulkan lines (format of common_print_available_devices), "(none)" on a CPU build', () => {
  const out = 'Available devices:\n  CUDA0: NVIDIA GeForce RTX 3060 (12288 MiB, 11264 MiB free)\n  Vulkan0: AMD Radeon RX 7600 (8176 MiB, 7900 MiB free)\n';
  assert.deepEqual(parseListDevices(out), [
    { name: 'CUDA0', description: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11264 },
    { name: 'Vulkan0', description: 'AMD Radeon RX 7600', totalMiB: 8176, freeMiB: 7900 },
  ]);
  assert.deepEqual(parseListDevices('Available devices:\n  (none)\n'), []);
});

test('GPUs to plan for (simulated): a CPU-only build plans for none even with an NVIDIA card; a Vulkan GPU nvidia-smi cannot see is used', () => {
  const nvidia = { ...base, gpus: [{ index: 0, name: 'RTX 3060', totalMiB: 12288, freeMiB: 11000, usedMiB: 1288 }] };
  assert.deepEqual(gpusForBuild(nvidia, []).gpus, []);
  assert.deepEqual(gpusForBuild(nvidia, [{ name: 'CUDA0', description: 'x', totalMiB: 12288, freeMiB: 11264 }]), nvidia, 'live nvidia-smi numbers kept');
  // A laptop: an NVIDIA card and an AMD iGPU (sysfs); the CUDA build sees the NVIDIA one, which stays live.
  const igpu = { index: 1, name: 'AMD GPU (card1)', totalMiB: 512, freeMiB: 400, usedMiB: 112, source: 'sysfs' as const };
  const laptop = { ...base, gpus: [{ ...itemAt(nvidia.gpus, 0), source: 'nvidia-smi' as const }, igpu] };
  assert.deepEqual(gpusForBuild(laptop, [{ name: 'CUDA0', description: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11264 }]).gpus, laptop.gpus.slice(0, 1));
  assert.deepEqual(gpusForBuild(laptop, [{ name: 'ROCm0', description: 'AMD Radeon', totalMiB: 512, freeMiB: 400 }]).gpus, [igpu]);
  const vulkan = gpusForBuild(base, [{ name: 'Vulkan0', description: 'AMD Radeon RX 7600', totalMiB: 8176, freeMiB: 7900 }]);
  assert.deepEqual(vulkan.gpus, [{ index: 0, name: 'AMD Radeon RX 7600', totalMiB: 8176, freeMiB: 7900, usedMiB: 276, source: 'llama.cpp' }], 'read at start');
});

test('--list-devices of a Vulkan build on Mesa lavapipe (captured): llvmpipe with its 2 GiB heap, planned as read at start', () => {
  // GGML_VK_VISIBLE_DEVICES=0 llama-server --list-devices, stdout (stderr was empty), Vulkan build of 80fb11a on Debian's Mesa.
  const out = 'Available devices:\n  Vulkan0: llvmpipe (LLVM 15.0.6, 256 bits) (2048 MiB, 2048 MiB free)\n';
  const devices = parseListDevices(out);
  assert.deepEqual(devices, [{ name: 'Vulkan0', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', totalMiB: 2048, freeMiB: 2048 }]);
  assert.deepEqual(gpusForBuild(base, devices).gpus, [{ index: 0, name: 'llvmpipe (LLVM 15.0.6, 256 bits)', totalMiB: 2048, freeMiB: 2048, usedMiB: 0, source: 'llama.cpp' }]);
});

test('--list-devices of a Metal build (its format, simulated device): the GPU shares RAM (unified memory)', () => {
  const devices = parseListDevices('Available devices:\n  MTL0: Apple M2 Pro (21845 MiB, 21845 MiB free)\n');
  const gpus = gpusForBuild(base, devices).gpus;
  assert.deepEqual(gpus.map((g) => [g.name, g.source]), [['Apple M2 Pro', 'unified']]);
});
