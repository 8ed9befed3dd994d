import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barCells, renderPlanText } from '../../src/extension/present/planText';
import { planJson } from '../../src/extension/present/planJson';
import { parseFittedArgs } from '../../src/extension/llama/dryRun';
import { planDevices, planSummary, planView } from '../../src/extension/present/planView';
import { itemAt } from '../fixtures/itemAt';
import { cpuReport, gpuReport, moeReport, overReport, splitReport } from './planFixtures';

/** The characters between the brackets of the line that starts with `label`. */
function barOf(text: string, label: string): string {
  const line = text.split('\n').find((l) => l.startsWith(label));
  assert.ok(line, `a bar line for ${label}`);
  const brackets = /\[(.*)\]/.exec(line);
  assert.ok(brackets, `a bar between brackets on the line for ${label}`);
  return itemAt(brackets, 1);
}

const count = (s: string, ch: string): number => [...s].filter((c) => c === ch).length;

test('12 GB GPU: one bar per GPU, then RAM, each `width` cells, with the numbers in GiB', () => {
  const text = renderPlanText(gpuReport, { width: 40 });
  const gpuLine = text.split('\n').find((l) => l.startsWith('GPU0 RTX 3060'))!;
  assert.match(gpuLine, /^GPU0 RTX 3060\s+12\.0 GiB \[.{40}\] model 7\.4 {2}KV 1\.0 {2}compute 0\.3 {2}free 3\.0$/u);
  const gpuBar = barOf(text, 'GPU0');
  assert.equal([...gpuBar].length, 40);
  // 7605/12288 of 40 cells are weights, 1024/12288 KV, and the 1024 MiB margin shows.
  assert.equal(count(gpuBar, '█'), 25);
  assert.equal(count(gpuBar, '▓'), 3);
  assert.equal(count(gpuBar, '▒'), 1);
  assert.equal(count(gpuBar, '▚'), 1, '300 MiB in use by other programs');
  assert.equal(count(gpuBar, '░'), 3);
  assert.ok(gpuBar.indexOf('█') < gpuBar.indexOf('▓') && gpuBar.indexOf('▓') < gpuBar.indexOf('▒'));
  const ramBar = barOf(text, 'RAM');
  assert.equal([...ramBar].length, 40);
  assert.ok(text.indexOf('GPU0 RTX 3060') < text.indexOf('\nRAM '), 'GPUs first, then RAM');
});

test('12 GB GPU: the MiB table, the layers line, the choices, the reasons and the command line', () => {
  const text = renderPlanText(gpuReport);
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('MiB'))!;
  assert.match(header, /total\s+others\s+weights\s+KV cache\s+compute\s+free after\s+margin/);
  assert.match(lines.find((l) => /^GPU0 RTX 3060\s+12288/.test(l))!, /^GPU0 RTX 3060\s+12288\s+300\s+7605\s+1024\s+267\s+3092\s+1024$/);
  assert.match(lines.find((l) => /^RAM\s+32768/.test(l))!, /^RAM\s+32768\s+4768\s+532\s+0\s+24\s+27444\s+1024$/);
  assert.match(text, /^GPU layers\s+33\/33 layers on GPU$/m);
  assert.doesNotMatch(text, /MoE experts/);
  assert.match(text, /^Context\s+8192 tokens$/m);
  assert.match(text, /^KV cache\s+f16, 1\.0 GiB in GPU$/m);
  assert.match(text, /^Flash attention\s+on$/m);
  assert.match(text, /^Threads\s+8$/m);
  assert.match(text, /^mmap\s+on$/m);
  assert.match(text, /^Source: estimate \(Headroom's estimator; no dry run\)$/m);
  assert.match(text, /^Fits: yes$/m);
  assert.ok(text.includes('Why:\n  - Context 8192 tokens (the default).\n'));
  assert.doesNotMatch(text, /Warnings:/);
  assert.ok(text.endsWith(`Command line:\n  ${gpuReport.commandLine}\n`));
  assert.doesNotMatch(text, /\x1b\[/, 'no colour unless asked');
});

test('MoE on a dry run: backend name with the GPU model, experts in RAM, quantized KV, the dry-run source', () => {
  const text = renderPlanText(moeReport);
  assert.match(text, /^CUDA0 RTX 3060 {2}12\.0 GiB \[/m);
  assert.match(text, /^GPU layers\s+49\/49 layers on GPU$/m);
  assert.match(text, /^MoE experts\s+MoE experts of 21\/48 layers in RAM$/m);
  assert.match(text, /^KV cache\s+q4_0, 0\.2 GiB in GPU$/m);
  assert.match(text, /^Source: dry run of this llama\.cpp build$/m);
  assert.equal(planSummary(moeReport.plan), '49/49 layers on GPU · MoE experts of 21/48 layers in RAM · KV cache q4_0 in GPU · ctx 8192');
});

test('12 GB GPU split: 19/81 layers on GPU, the rest and part of the KV cache in RAM', () => {
  const text = renderPlanText(splitReport, { width: 30 });
  assert.match(text, /^GPU0 RTX 3060 {2}12\.0 GiB \[.{30}\] model 9\.6 {2}KV 0\.6 {2}compute 0\.5 {2}free 1\.1$/mu);
  assert.match(text, /^RAM\s+64\.0 GiB \[.{30}\] model 29\.9 {2}KV 1\.9 {2}compute 0\.2 {2}free 26\.5$/mu);
  assert.match(text, /^GPU layers\s+19\/81 layers on GPU$/m);
  assert.match(text, /^KV cache\s+f16, 2\.5 GiB in GPU \+ RAM$/m);
  assert.match(text, /^RAM\s+65536\s+5536\s+30640\s+1984\s+240\s+27136\s+1024$/m);
  assert.equal(planSummary(splitReport.plan), '19/81 layers on GPU · KV cache f16 in GPU + RAM · ctx 8192');
});

test('CPU only: RAM is the only device and holds everything', () => {
  const text = renderPlanText(cpuReport, { width: 20 });
  assert.doesNotMatch(text, /GPU0|CUDA/);
  assert.match(text, /^RAM {2}16\.0 GiB \[.{20}\] model 4\.6 {2}KV 1\.0 {2}compute 0\.3 {2}free 5\.9$/mu);
  assert.match(text, /^GPU layers\s+0\/33 layers on GPU \(CPU only\)$/m);
  assert.match(text, /^KV cache\s+f16, 1\.0 GiB in RAM$/m);
  const devices = planDevices(cpuReport);
  assert.equal(devices.length, 1);
  assert.equal(itemAt(devices, 0).otherMiB, 16384 - 12000);
  assert.equal(planSummary(cpuReport.plan), '0/33 layers on GPU (CPU only) · KV cache f16 in RAM · ctx 8192');
});

test('a plan that does not fit says so: OVER on the bar line, a marked table cell, the warnings', () => {
  const text = renderPlanText(overReport);
  assert.match(text, /^Fits: NO/m);
  assert.match(text, /^GPU0 RTX 3060 .* free -1\.1 {2}OVER by 2\.1 GiB$/m);
  assert.match(text, /^GPU0 RTX 3060\s+12288\s+300\s+11500\s+1280\s+300\s+!-1092\s+1024$/m);
  assert.match(text, /^KV cache\s+K q8_0, V f16, /m);
  assert.ok(text.includes('Warnings:\n  ! -ngl 81 was set'));
  const gpu = itemAt(planView(overReport).devices, 0);
  // The bar grows past the device's total by what does not fit; no margin or free part is left.
  const sum = gpu.segments.reduce((s, x) => s + x.mib, 0);
  assert.equal(sum, 300 + 11500 + 1280 + 300);
  assert.deepEqual(gpu.segments.filter((s) => s.kind === 'margin' || s.kind === 'free').map((s) => s.mib), [0, 0]);
});

test('colour wraps each part of the bar in ANSI codes', () => {
  const text = renderPlanText(gpuReport, { color: true });
  assert.match(text, /\x1b\[34m█+\x1b\[0m/);
  assert.match(text, /\x1b\[35m▓+\x1b\[0m/);
});

test('barCells: sums to the width, keeps a cell for a tiny KV cache or compute buffer', () => {
  const cells = barCells(
    [
      { kind: 'weights', mib: 10000 },
      { kind: 'kv', mib: 10 },
      { kind: 'compute', mib: 5 },
      { kind: 'other', mib: 0 },
      { kind: 'margin', mib: 1024 },
      { kind: 'free', mib: 1000 },
    ],
    20,
  );
  assert.equal(cells.reduce((a, b) => a + b, 0), 20);
  assert.equal(cells[1], 1);
  assert.equal(cells[2], 1);
  assert.equal(cells[3], 0);
  assert.deepEqual(barCells([{ kind: 'free', mib: 0 }], 5), [5]);
});

test('llama.cpp\'s own fit: in `plan --json` exactly as parsed (null without one), and as one line of the text', () => {
  const fit = parseFittedArgs('-c 4096 -ngl 49 -ot "blk\\.46\\.ffn_(up|down|gate)_(ch|)exps=CPU,blk\\.47\\.ffn_(up|down|gate)_(ch|)exps=CPU"\n');
  assert.ok(fit);
  const report = { ...moeReport, llamaCppFit: fit };
  const json = JSON.parse(JSON.stringify(planJson(report))) as Record<string, unknown>;
  assert.deepEqual(json.llamaCppFit, {
    contextSize: 4096,
    gpuLayers: 49,
    tensorOverrides: ['blk\\.46\\.ffn_(up|down|gate)_(ch|)exps=CPU', 'blk\\.47\\.ffn_(up|down|gate)_(ch|)exps=CPU'],
    args: ['-c', '4096', '-ngl', '49', '-ot', 'blk\\.46\\.ffn_(up|down|gate)_(ch|)exps=CPU,blk\\.47\\.ffn_(up|down|gate)_(ch|)exps=CPU'],
  });
  assert.equal(planJson(gpuReport).llamaCppFit, null);
  assert.match(renderPlanText(report), /^llama\.cpp's own fit: -ngl 49 -c 4096 -ot <2 tensor overrides>$/m);
  assert.doesNotMatch(renderPlanText(gpuReport), /own fit/);
  const split = parseFittedArgs('-c 8192 -ngl 81 -ts 40,41\n');
  assert.ok(split);
  assert.match(renderPlanText({ ...splitReport, llamaCppFit: split }), /^llama\.cpp's own fit: -ngl 81 -c 8192 -ts 40,41$/m);
});
