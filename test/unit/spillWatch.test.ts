// Windows' CUDA driver spills VRAM to system RAM instead of failing, and nvidia-smi reads [N/A] per process there:
// the spill is seen in the device's total use, or in replies getting several times slower.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assessMemory, type WatchInput } from '../../src/extension/memory/memoryWatch';
import { parseComputeApps, parseNvidiaSmi, type HardwareFacts } from '../../src/extension/memory/hardware';
import { itemAt } from '../fixtures/itemAt';

// nvidia-smi on Windows (WDDM): the compute apps' used memory is [N/A].
const APPS_WINDOWS = 'GPU-5f1c9b7e-2d4a-4c1e-9a3b-0e6f7d8c9a10, 14212, [N/A]\n';
const UUIDS = '0, GPU-5f1c9b7e-2d4a-4c1e-9a3b-0e6f7d8c9a10\n';

function windowsInput(smiCsv: string, replyTokensPerSecond?: readonly number[], expectedTokensPerSecond?: number): WatchInput {
  const facts: HardwareFacts = { gpus: parseNvidiaSmi(smiCsv), ramTotalMiB: 32_768, ramAvailableMiB: 12_000, physicalCores: 8, logicalCores: 16 };
  const serverVram = parseComputeApps(APPS_WINDOWS, UUIDS, 14212);
  return {
    facts,
    serverVramMiB: serverVram.size > 0 ? serverVram : undefined,
    plannedVramMiB: new Map([[0, 10_900]]),
    marginMiB: 1024,
    ramMarginMiB: 2048,
    replyTokensPerSecond,
    expectedTokensPerSecond,
  };
}

test('Windows (per-process VRAM [N/A]): a device using less than the plan alone has spilled; one using as much has not', () => {
  assert.equal(parseComputeApps(APPS_WINDOWS, UUIDS, 14212).size, 0, '[N/A] gives no per-process figure');
  const spilled = assessMemory(windowsInput('0, NVIDIA GeForce RTX 4070, 12282, 7800, 4482\n'));
  assert.deepEqual(spilled.map((a) => a.kind), ['spilled-to-ram']);
  const alert = itemAt(spilled, 0);
  assert.ok(alert.kind === 'spilled-to-ram' && alert.actualMiB === 7800 && alert.expectedMiB === 10_900);
  assert.match(alert.message, /spilled to system RAM/);
  assert.deepEqual(assessMemory(windowsInput('0, NVIDIA GeForce RTX 4070, 12282, 11100, 1182\n')), []);
});

test('replies several times slower than the first ones (sample series): a spill warning; a gentle slowdown is not', () => {
  const smi = '0, NVIDIA GeForce RTX 4070, 12282, 11100, 1182\n';
  // The first replies at ~42 tokens/s, then the driver starts paging VRAM out as the context grows.
  const series = [41.8, 43.0, 42.2, 39.5, 30.1, 6.3, 4.1, 3.8];
  const alerts = assessMemory(windowsInput(smi, series));
  assert.deepEqual(alerts.map((a) => a.kind), ['slow-generation']);
  const alert = itemAt(alerts, 0);
  assert.ok(alert.kind === 'slow-generation');
  assert.equal(alert.expectedTokensPerSecond, 42.2);
  assert.equal(alert.tokensPerSecond, 4.1);
  assert.match(alert.message, /4\.1 tokens\/s, down from 42\.2.*spilled from VRAM to system RAM/);
  // A long context costing half the speed is not a spill.
  assert.deepEqual(assessMemory(windowsInput(smi, [41.8, 43.0, 42.2, 30.0, 25.5, 22.1])), []);
  // Too few replies to tell.
  assert.deepEqual(assessMemory(windowsInput(smi, [41.8, 4.0, 3.9])), []);
});

test('a tuned speed figure stands for the first replies: slow from the start is caught too', () => {
  const smi = '0, NVIDIA GeForce RTX 4070, 12282, 11100, 1182\n';
  assert.deepEqual(assessMemory(windowsInput(smi, [5.2, 4.8, 5.0], 45)).map((a) => a.kind), ['slow-generation']);
  assert.deepEqual(assessMemory(windowsInput(smi, [40.2, 38.8, 41.0], 45)), []);
});
