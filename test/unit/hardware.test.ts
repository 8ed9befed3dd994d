import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryReadout, parseMeminfo, parseNvidiaSmi, parsePhysicalCores, SystemHardwareProbe } from '../../src/extension/memory/hardware';

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
