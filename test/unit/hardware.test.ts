import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gpusFromDeviceList,
  memoryReadout,
  parseMeminfo,
  parseNvidiaSmi,
  parsePhysicalCores,
  readSysfsVram,
  SystemHardwareProbe,
  vramReadings,
  type HardwareFacts,
} from '../../src/extension/memory/hardware';

test('meminfo: total and MemAvailable (not MemFree)', () => {
  const info = parseMeminfo('MemTotal:       24576000 kB\nMemFree:         1024000 kB\nMemAvailable:   20480000 kB\n');
  assert.deepEqual(info, { totalMiB: 24000, availableMiB: 20000 });
  assert.equal(parseMeminfo('garbage'), undefined);
});

test('cpuinfo: hyper-threads of one core count once', () => {
  const block = (p: number, c: number) => `processor : x\nphysical id : ${p}\ncore id : ${c}\n`;
  assert.equal(parsePhysicalCores([block(0, 0), block(0, 0), block(0, 1), block(0, 1), block(1, 0)].join('\n')), 3);
  assert.equal(parsePhysicalCores('processor : 0\n'), undefined);
});

test('nvidia-smi csv: GPUs parsed, junk lines skipped', () => {
  const gpus = parseNvidiaSmi('0, NVIDIA GeForce RTX 3060, 12288, 1024, 11264\nNo devices\n1, X, a, b, c\n');
  assert.deepEqual(gpus, [{ index: 0, name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, usedMiB: 1024, freeMiB: 11264 }]);
});

test('readout: VRAM when a GPU is present (simulated), server RSS and RAM otherwise', () => {
  const base = { ramTotalMiB: 65536, ramAvailableMiB: 32768, physicalCores: 8, logicalCores: 16 };
  assert.equal(memoryReadout({ ...base, gpus: [{ index: 0, name: 'g', totalMiB: 12288, usedMiB: 6144, freeMiB: 6144 }] }, 100), 'VRAM 6.0/12.0 GiB');
  assert.equal(memoryReadout({ ...base, gpus: [] }, 1536), 'server 1.5 GiB · RAM 32.0/64.0 GiB');
  assert.equal(memoryReadout({ ...base, gpus: [] }, 30.4), 'server 30 MiB · RAM 32.0/64.0 GiB');
});

test('system probe: this machine reports RAM, cores and its own RSS', async () => {
  const probe = new SystemHardwareProbe();
  const facts = await probe.sample();
  assert.ok(facts.ramTotalMiB > 0 && facts.ramAvailableMiB > 0 && facts.ramAvailableMiB <= facts.ramTotalMiB);
  assert.ok(facts.physicalCores >= 1 && facts.physicalCores <= facts.logicalCores);
  const rss = await probe.processRssMiB(process.pid);
  assert.ok(rss !== undefined && rss > 1);
});

/** A sysfs tree as the amdgpu driver lays it out: card1 an RX 7600 (8 GiB, 1.5 GiB used), card0 an Intel iGPU without VRAM files. */
function fakeSysfs(): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'headroom-sysfs-'));
  const device = (card: string, files: Record<string, string>): void => {
    mkdirSync(join(root, 'class', 'drm', card, 'device'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'class', 'drm', card, 'device', name), text);
  };
  device('card0', { vendor: '0x8086\n' });
  device('card1', { vendor: '0x1002\n', mem_info_vram_total: `${8 * 2 ** 30}\n`, mem_info_vram_used: `${1.5 * 2 ** 30}\n`, product_name: 'AMD Radeon RX 7600\n' });
  // A connector, not a card: it has no device of its own to read.
  mkdirSync(join(root, 'class', 'drm', 'card1-DP-1'));
  device('card2', { mem_info_vram_total: `${512 * 2 ** 20}\n`, mem_info_vram_used: `${64 * 2 ** 20}\n` });
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

test('AMD on Linux: VRAM read from sysfs (fake root), cards without VRAM files and connectors skipped', async () => {
  const sys = fakeSysfs();
  try {
    assert.deepEqual(await readSysfsVram(sys.root), [
      { index: 0, name: 'AMD Radeon RX 7600', totalMiB: 8192, usedMiB: 1536, freeMiB: 6656, source: 'sysfs' },
      { index: 0, name: 'AMD GPU (card2)', totalMiB: 512, usedMiB: 64, freeMiB: 448, source: 'sysfs' },
    ]);
    assert.deepEqual(await readSysfsVram(join(sys.root, 'nothing-here')), []);
    const facts = await new SystemHardwareProbe({ sysRoot: sys.root }).sample();
    const amd = facts.gpus.filter((g) => g.source === 'sysfs');
    assert.deepEqual(amd.map((g) => g.name), ['AMD Radeon RX 7600', 'AMD GPU (card2)']);
    assert.deepEqual(amd.map((g) => g.index), [facts.gpus.length - 2, facts.gpus.length - 1], 'numbered after any NVIDIA GPU');
    assert.equal(memoryReadout({ ...facts, gpus: amd.slice(0, 1) }, 100), 'VRAM 1.5/8.0 GiB');
  } finally {
    sys.dispose();
  }
});

test('VRAM readings per device: live where sampled, unified memory from RAM, llama.cpp\'s figure at start, else not measured', () => {
  const live: HardwareFacts = {
    gpus: [
      { index: 0, name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, usedMiB: 7000, freeMiB: 5288, source: 'nvidia-smi' },
      { index: 1, name: 'AMD Radeon RX 7600', totalMiB: 8192, usedMiB: 2048, freeMiB: 6144, source: 'sysfs' },
    ],
    ramTotalMiB: 32768,
    ramAvailableMiB: 20480,
    physicalCores: 8,
    logicalCores: 16,
  };
  // Planned on both live GPUs (their numbers at planning time; the readings are today's).
  const planned = live.gpus.map((g) => ({ ...g, usedMiB: 0, freeMiB: g.totalMiB }));
  assert.deepEqual(vramReadings(planned, live), [
    { device: 'NVIDIA GeForce RTX 3060', kind: 'live', usedMiB: 7000, totalMiB: 12288, source: 'nvidia-smi' },
    { device: 'AMD Radeon RX 7600', kind: 'live', usedMiB: 2048, totalMiB: 8192, source: 'sysfs' },
  ]);
  assert.equal(memoryReadout(live, 100, vramReadings(planned, live)), 'VRAM 6.8/12.0 GiB, 2.0/8.0 GiB');
  // Vulkan (lavapipe) and Metal from llama.cpp's device list; a device that reported no memory.
  const listed = gpusFromDeviceList([
    { name: 'Vulkan0', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', totalMiB: 2048, freeMiB: 1848 },
    { name: 'MTL0', description: 'Apple M2 Pro', totalMiB: 21845, freeMiB: 21845 },
    { name: 'Vulkan1', description: 'Some GPU', totalMiB: 0, freeMiB: 0 },
  ]);
  const readings = vramReadings(listed, { ...live, gpus: [] });
  assert.deepEqual(readings, [
    { device: 'llvmpipe (LLVM 15.0.6, 256 bits)', kind: 'start', usedMiB: 200, totalMiB: 2048, source: 'llama.cpp' },
    { device: 'Apple M2 Pro', kind: 'unified', usedMiB: 12288, totalMiB: 32768, source: 'unified' },
    { device: 'Some GPU', kind: 'none' },
  ]);
  assert.equal(memoryReadout(live, 100, readings), 'VRAM 0.2/2.0 GiB at start, 12.0/32.0 GiB unified, not measured for Some GPU');
  assert.equal(memoryReadout(live, 100, readings.slice(2)), 'VRAM not measured for this device');
  // A live GPU gone from the sample is not measured rather than shown with stale numbers.
  assert.deepEqual(vramReadings(planned.slice(0, 1), { ...live, gpus: [] }), [{ device: 'NVIDIA GeForce RTX 3060', kind: 'none' }]);
});
