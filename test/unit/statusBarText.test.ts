// The status-bar item's words (present/statusBarText.ts), without VS Code: per device the VRAM as it can be known,
// "VRAM not measured for this device" where nothing can be, RAM on a CPU-only machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusBarContent, type StatusBarInput } from '../../src/extension/present/statusBarText';
import { gpusFromDeviceList, vramReadings, type HardwareFacts } from '../../src/extension/memory/hardware';
import { serverView } from '../../src/extension/present/serverView';
import type { ServerState } from '../../src/extension/llama/serverState';
import { assessMemory } from '../../src/extension/memory/memoryWatch';
import { cpuReport, gpuReport } from './planFixtures';

const ready: ServerState = { kind: 'ready', model: 'tiny-dense-Q8_0.gguf', contextSize: 4096, baseUrl: 'http://127.0.0.1:8123', pid: 4242, args: [] };
const machine: HardwareFacts = { gpus: [], ramTotalMiB: 24_064, ramAvailableMiB: 22_221, physicalCores: 2, logicalCores: 2 };

function input(over: Partial<StatusBarInput>): StatusBarInput {
  return { state: ready, view: serverView(ready), tokensPerSecond: null, alerts: [], ...over };
}

test('a Vulkan device read at start (lavapipe): the bar says VRAM at start, the tooltip how it was read and what the plan puts there', () => {
  const gpus = gpusFromDeviceList([{ name: 'Vulkan0', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', totalMiB: 2048, freeMiB: 2048 }]);
  const plan = { ...gpuReport, hardware: { ...machine, gpus } };
  const content = statusBarContent(input({ memory: { facts: machine, serverRssMiB: 90, readings: vramReadings(gpus, machine) }, plan, tokensPerSecond: 12.34 }));
  assert.equal(content.text, '$(pulse) Headroom · VRAM 0.0/2.0 GiB at start · 12.3 tok/s');
  assert.match(content.tooltip, /VRAM on llvmpipe \\\(LLVM 15\\\.0\\\.6, 256 bits\\\): 0\\\.0 GiB of 2\\\.0 GiB in use when the server started, as llama\\\.cpp listed it; nothing samples this device live\\\. The plan puts 8\\\.7 GiB on it\\\./);
  assert.equal(content.background, undefined);
});

test('nothing measurable: the bar and the tooltip say "VRAM not measured for this device" instead of leaving it out', () => {
  const gpus = gpusFromDeviceList([{ name: 'Vulkan0', description: 'Some GPU', totalMiB: 0, freeMiB: 0 }]);
  const content = statusBarContent(input({ memory: { facts: machine, readings: vramReadings(gpus, machine) } }));
  assert.equal(content.text, '$(pulse) Headroom · VRAM not measured for this device');
  assert.match(content.tooltip, /Some GPU: VRAM not measured for this device\\\./);
});

test('NVIDIA live, with an alert: the bar turns to a warning and the tooltip says why', () => {
  const facts: HardwareFacts = { ...machine, gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 3060', totalMiB: 12_288, freeMiB: 200, usedMiB: 12_088, source: 'nvidia-smi' }] };
  const alerts = assessMemory({ facts, plannedVramMiB: new Map([[0, 8000]]), marginMiB: 1024, ramMarginMiB: 512 });
  const content = statusBarContent(input({ memory: { facts, readings: vramReadings(facts.gpus, facts) }, alerts, plan: gpuReport }));
  assert.equal(content.text, '$(warning) Headroom · VRAM 11.8/12.0 GiB');
  assert.match(content.tooltip, /VRAM on NVIDIA GeForce RTX 3060: 11\\\.8 GiB of 12\\\.0 GiB in use \\\(nvidia\\-smi, live\\\)\\\./);
  assert.match(content.tooltip, /\$\(warning\) Only 0\\\.2 GiB of VRAM is left/);
  assert.match(content.tooltip, /Plan \(estimate \\\(Headroom's estimator; no dry run\\\)\): 33\/33 layers on GPU/);
  assert.equal(content.background, 'warning');
});

test('CPU only: the server\'s RSS and RAM, as before (the e2e suite reads this line)', () => {
  const content = statusBarContent(input({ memory: { facts: machine, serverRssMiB: 24, readings: [] }, plan: cpuReport }));
  assert.match(content.text, /^\$\(pulse\) Headroom · server [\d.]+ [KMG]iB · RAM [\d.]+\/[\d.]+ GiB$/);
  assert.equal(content.text, '$(pulse) Headroom · server 24 MiB · RAM 1.8/23.5 GiB');
  assert.match(content.tooltip, /Memory: server 24 MiB · RAM 1\\\.8\/23\\\.5 GiB/);
});

test('not ready: the state\'s label; a failure is coloured as an error with its detail in a code block', () => {
  const failed: ServerState = { kind: 'failed', error: 'llama-server exited: ```boom```' };
  const content = statusBarContent(input({ state: failed, view: serverView(failed) }));
  assert.equal(content.text, '$(error) Headroom · llama-server failed');
  assert.equal(content.background, 'error');
  assert.ok(content.tooltip.includes('\n````text\nllama-server exited: ```boom```\n````\n'), content.tooltip);
  const stopped = statusBarContent(input({ state: { kind: 'stopped' }, view: serverView({ kind: 'stopped' }) }));
  assert.equal(stopped.text, '$(circle-slash) Headroom');
});
