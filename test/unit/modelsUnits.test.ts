import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { CODING_MODELS, recommendModels } from '../../src/extension/models/catalogue';
import { formatBytes, formatDuration } from '../../src/extension/models/format';
import { resolveUrl } from '../../src/extension/models/hfApi';
import { headersFor } from '../../src/extension/models/http';
import { formatParameters } from '../../src/extension/models/modelSummary';
import { progressOf, SpeedMeter } from '../../src/extension/models/progress';
import { groupGgufFiles, parseModelRef, pickRemoteModel, quantFromName } from '../../src/extension/models/remoteModels';
import { parseContentRange } from '../../src/extension/models/remoteSource';
import { hfCacheLabel, ollamaLabel } from '../../src/extension/models/sources';
import { parseSplitName, splitPartPaths } from '../../src/extension/models/splitName';
import { sizeVerdict } from '../../src/extension/models/verdict';

const GB = 1e9;
const machine = (vramGiB: number, ramGiB: number): HardwareFacts => ({
  gpus: vramGiB > 0 ? [{ index: 0, name: 'GPU', totalMiB: vramGiB * 1024, freeMiB: vramGiB * 1024, usedMiB: 0 }] : [],
  ramTotalMiB: ramGiB * 1024, ramAvailableMiB: ramGiB * 1024, physicalCores: 8, logicalCores: 16,
});
const layered = (layers: number, perLayer: number, other: number) => ({
  tensorBytes: layers * perLayer + other, layerBytes: Array<number>(layers).fill(perLayer), otherBytes: other,
});

test('verdict: fully on GPU, N/M layers, CPU, does not fit', () => {
  assert.equal(sizeVerdict(layered(32, 0.15 * GB, 0.5 * GB), machine(12, 32)).text, 'fully on GPU');
  const partial = sizeVerdict(layered(80, 0.5 * GB, 1 * GB), machine(24, 64));
  assert.equal(partial.kind, 'partial');
  assert.match(partial.text, /^\d+\/81 layers on GPU$/);
  assert.ok((partial.gpuLayers ?? 0) > 30 && (partial.gpuLayers ?? 0) < 45);
  assert.equal(sizeVerdict(layered(32, 0.15 * GB, 0.5 * GB), machine(0, 16)).text, 'on CPU (RAM)');
  const no = sizeVerdict(layered(80, 0.5 * GB, 1 * GB), machine(8, 16));
  assert.equal(no.kind, 'no-fit');
  assert.match(no.text, /^does not fit: needs 47\.1 GB, \d+\.\d GB free$/);
  // Size only (a catalogue entry): no layer count to offload by.
  assert.equal(sizeVerdict({ tensorBytes: 20 * GB, layerBytes: [], otherBytes: 20 * GB }, machine(8, 64)).kind, 'cpu');
});

test('catalogue: the largest that fits the GPU is recommended; CPU machines get a small one', () => {
  const pick = (hw: HardwareFacts) => recommendModels(hw, sizeVerdict).find((r) => r.recommended)?.entry.parameters;
  assert.equal(pick(machine(24, 64)), '32.8B');
  assert.equal(pick(machine(12, 32)), '14.7B');
  assert.equal(pick(machine(6, 16)), '7.6B');
  assert.equal(pick(machine(0, 64)), '7.6B');
  assert.equal(pick(machine(0, 4)), '3.1B');
  assert.equal(pick(machine(0, 2)), '1.5B');
  assert.ok(CODING_MODELS.every((m) => /^bartowski\/Qwen2\.5-Coder-[\d.]+B-Instruct-GGUF$/.test(m.repo) && m.file.endsWith('-Q4_K_M.gguf')));
});

test('model refs: hf repos, quants, files, URLs', () => {
  assert.deepEqual(parseModelRef('hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF'), { kind: 'hf', repo: 'bartowski/Qwen2.5-Coder-7B-Instruct-GGUF', quant: undefined, file: undefined });
  assert.deepEqual(parseModelRef('hf:owner/repo:q4_k_m'), { kind: 'hf', repo: 'owner/repo', quant: 'Q4_K_M', file: undefined });
  assert.deepEqual(parseModelRef('hf:owner/repo/sub/x-Q8_0.gguf'), { kind: 'hf', repo: 'owner/repo', quant: undefined, file: 'sub/x-Q8_0.gguf' });
  assert.deepEqual(parseModelRef('https://example.com/a/b.gguf'), { kind: 'url', url: 'https://example.com/a/b.gguf' });
  assert.equal(parseModelRef('models/foo.gguf'), undefined);
  assert.equal(parseModelRef('hf:justone'), undefined);
});

test('repo listings: split parts grouped, incomplete splits dropped, quants from names', () => {
  const files = [
    { path: 'm-Q4_K_M.gguf', size: 4 },
    { path: 'm-Q8_0-00001-of-00002.gguf', size: 5 },
    { path: 'm-Q8_0-00002-of-00002.gguf', size: 5 },
    { path: 'm-F16-00001-of-00003.gguf', size: 9 },
    { path: 'mmproj-m-f16.gguf', size: 1 },
    { path: 'README.md', size: 1 },
  ];
  const models = groupGgufFiles('o/r', files);
  assert.deepEqual(models.map((m) => [m.name, m.quant, m.sizeBytes, m.files.length, m.projector]), [
    ['mmproj-m-f16', 'F16', 1, 1, true],
    ['m-Q4_K_M', 'Q4_K_M', 4, 1, false],
    ['m-Q8_0', 'Q8_0', 10, 2, false],
  ]);
  assert.equal(pickRemoteModel(models, { quant: 'Q8_0' })?.name, 'm-Q8_0');
  assert.equal(pickRemoteModel(models, { file: 'm-Q8_0-00002-of-00002.gguf' })?.name, 'm-Q8_0');
  assert.equal(pickRemoteModel(models, { quant: 'F16' }), undefined, 'projectors are not picked by quant');
  assert.equal(quantFromName('Qwen2.5-Coder-7B-Instruct-IQ4_XS.gguf'), 'IQ4_XS');
  assert.equal(quantFromName('qwen2.5-coder-7b-instruct-q4_k_m.gguf'), 'Q4_K_M');
  assert.equal(quantFromName('model.gguf'), undefined);
});

test('split names, labels, URLs', () => {
  assert.deepEqual(parseSplitName('/m/x-00002-of-00003.gguf'), { prefix: '/m/x', part: 2, count: 3 });
  assert.equal(parseSplitName('/m/x-00004-of-00003.gguf'), undefined);
  assert.deepEqual(splitPartPaths('x-00001-of-00002.gguf'), ['x-00001-of-00002.gguf', 'x-00002-of-00002.gguf']);
  assert.equal(hfCacheLabel('/c', '/c/models--a--b/snapshots/r/q/m.gguf'), 'a/b/q/m');
  assert.equal(hfCacheLabel('/c', '/c/other/m.gguf'), undefined);
  assert.equal(ollamaLabel('registry.ollama.ai', 'library', 'llama3.1', '8b'), 'llama3.1:8b');
  assert.equal(ollamaLabel('registry.ollama.ai', 'someone', 'coder', 'latest'), 'someone/coder:latest');
  assert.equal(resolveUrl('o/r', 'sub dir/m.gguf', { baseUrl: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9/o/r/resolve/main/sub%20dir/m.gguf');
  assert.deepEqual(headersFor('https://cdn.example/x', 'https://hub.example', { authorization: 'Bearer t', range: 'bytes=0-' }), { range: 'bytes=0-' });
  assert.deepEqual(parseContentRange('bytes 5-9/100'), { start: 5, end: 9, total: 100 });
  assert.deepEqual(parseContentRange('bytes 5-9/*'), { start: 5, end: 9, total: undefined });
});

test('progress: speed over a window, time left, formatting', () => {
  let now = 0;
  const meter = new SpeedMeter(5000, () => now);
  meter.add(0);
  now = 1000;
  assert.equal(meter.add(10e6), 10e6);
  now = 10_000;
  meter.add(10e6); // a stall drags the rate down within the window
  assert.ok(meter.rate() < 2e6);
  const p = progressOf('m.gguf', 1e9, 5e9, 50e6);
  assert.equal(p.etaSeconds, 80);
  assert.equal(formatDuration(80), '1m 20s');
  assert.equal(formatDuration(3725), '1h 02m');
  assert.equal(formatBytes(4.68e9), '4.7 GB');
  assert.equal(formatBytes(986e6), '986 MB');
  assert.equal(formatParameters(8.03e9), '8.0B');
  assert.equal(formatParameters(32.8e9), '33B');
});

test('progress: a resume that rewinds, or a retry, restarts the speed window; the speed is never negative', () => {
  let now = 0;
  const meter = new SpeedMeter(5000, () => now);
  const rates: number[] = [];
  const at = (ms: number, bytes: number): void => {
    now = ms;
    rates.push(meter.add(bytes));
  };
  at(0, 0);
  at(4000, 400e6);
  at(8000, 800e6); // the window now starts at 4000 ms, 400 MB
  at(8500, 0); // the server ignored Range: the file starts over
  at(9500, 50e6);
  assert.ok(rates.every((r) => r >= 0), `rates: ${rates.join(', ')}`);
  assert.equal(rates[rates.length - 1], 50e6, 'measured from the rewind on, not across it');
  now = 60_000;
  meter.restart(); // a retry after a long wait: the wait is not averaged into the next speed
  at(61_000, 60e6);
  at(62_000, 70e6);
  assert.equal(meter.rate(), 10e6);
});
