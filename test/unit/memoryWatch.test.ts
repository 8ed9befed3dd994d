import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessMemory } from '../../src/extension/memory/memoryWatch';
import { parseComputeApps, type HardwareFacts } from '../../src/extension/memory/hardware';
import { itemAt } from '../fixtures/itemAt';

const facts = (freeMiB: number, ramAvailableMiB = 32_000): HardwareFacts => ({
  gpus: [{ index: 0, name: 'RTX 3060 (simulated GPU)', totalMiB: 12_288, freeMiB, usedMiB: 12_288 - freeMiB }],
  ramTotalMiB: 65_536,
  ramAvailableMiB,
  physicalCores: 8,
  logicalCores: 16,
});
const planned = new Map([[0, 10_000]]);

test('memory watch (simulated GPU): healthy sample, no alert', () => {
  assert.deepEqual(assessMemory({ facts: facts(1_200), serverVramMiB: new Map([[0, 9_900]]), plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 }), []);
});

test('memory watch (simulated GPU): another program took VRAM below the margin', () => {
  const alerts = assessMemory({ facts: facts(300), plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 });
  assert.deepEqual(alerts.map((a) => a.kind), ['vram-taken']);
  assert.match(itemAt(alerts, 0).message, /Only 0\.3 GiB of VRAM is left.*another program/);
});

test('memory watch (simulated GPU): the server holds far less VRAM than planned -> spilled to RAM', () => {
  const alerts = assessMemory({ facts: facts(1_200), serverVramMiB: new Map([[0, 6_000]]), plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 });
  assert.deepEqual(alerts.map((a) => a.kind), ['spilled-to-ram']);
});

test('memory watch: RAM running out; a GPU the plan does not use is ignored', () => {
  const alerts = assessMemory({ facts: facts(100, 1_000), plannedVramMiB: new Map(), marginMiB: 1024, ramMarginMiB: 2048 });
  assert.deepEqual(alerts.map((a) => a.kind), ['ram-low']);
});

test('nvidia-smi compute apps: VRAM of one pid per GPU index', () => {
  const apps = 'GPU-aaa, 4242, 9000\nGPU-bbb, 4242, 100\nGPU-aaa, 7, 500\n';
  const gpus = '0, GPU-aaa\n1, GPU-bbb\n';
  assert.deepEqual([...parseComputeApps(apps, gpus, 4242)], [[0, 9000], [1, 100]]);
});

test('memory watch: a GPU known only from llama.cpp\'s list at start raises no VRAM alert (its free figure is not now)', () => {
  const atStart = facts(300);
  const listed: HardwareFacts = { ...atStart, gpus: atStart.gpus.map((g) => ({ ...g, source: 'llama.cpp' as const })) };
  assert.deepEqual(assessMemory({ facts: listed, serverVramMiB: new Map([[0, 10]]), plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 }), []);
  const unified: HardwareFacts = { ...atStart, gpus: atStart.gpus.map((g) => ({ ...g, source: 'unified' as const })) };
  assert.deepEqual(assessMemory({ facts: unified, plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 }), []);
  const sysfs: HardwareFacts = { ...atStart, gpus: atStart.gpus.map((g) => ({ ...g, source: 'sysfs' as const })) };
  assert.deepEqual(assessMemory({ facts: sysfs, plannedVramMiB: planned, marginMiB: 1024, ramMarginMiB: 2048 }).map((a) => a.kind), ['vram-taken'], 'AMD sysfs is live');
});
