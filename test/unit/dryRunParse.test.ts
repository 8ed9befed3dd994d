import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFittedArgs, parseMemoryBreakdown, parseMemoryBreakdowns } from '../../src/extension/llama/dryRun';

test('breakdown: CPU-only output (recorded from llama-fit-params on a 70B Q4_K_M header)', () => {
  const text = [
    '0.00.177.751 I common_memory_breakdown_print: | memory breakdown [MiB] | total   free     self   model   context   compute    unaccounted |',
    '0.00.177.770 I common_memory_breakdown_print: |   - Host               |                 11845 =  9003 +    2560 +     282                |',
    '0.00.177.770 I common_memory_breakdown_print: |   - CPU_REPACK         |                 31500 = 31500 +       0 +       0                |',
  ].join('\n');
  const b = parseMemoryBreakdown(text);
  assert.deepEqual(b, {
    devices: [],
    host: { modelMiB: 40503, contextMiB: 2560, computeMiB: 282 },
    hostExtras: [{ name: 'CPU_REPACK', modelMiB: 31500, contextMiB: 0, computeMiB: 0 }],
  });
});

test('breakdown: a GPU row in the format llama.cpp prints for devices', () => {
  const text = [
    'I common_memory_breakdown_print: | memory breakdown [MiB] | total   free     self   model   context   compute    unaccounted |',
    'I common_memory_breakdown_print: |   - CUDA0 (RTX 3060)   | 12288 = 1010 + (10990 =  9500 +    1024 +     466) +         288 |',
    'I common_memory_breakdown_print: |   - Host               |                   640 =   563 +       0 +      77                |',
  ].join('\n');
  const b = parseMemoryBreakdown(text);
  assert.deepEqual(b?.devices, [{ name: 'CUDA0', description: 'RTX 3060', totalMiB: 12288, freeMiB: 1010, modelMiB: 9500, contextMiB: 1024, computeMiB: 466 }]);
  assert.deepEqual(b?.host, { modelMiB: 563, contextMiB: 0, computeMiB: 77 });
});

test('breakdown: output without the table is undefined', () => {
  assert.equal(parseMemoryBreakdown('error: failed to load model'), undefined);
});

/** Experts of layers 14..47 on the CPU, as llama-fit-params' README shows it (a 4090, Qwen3 30B-A3B F16). */
const README_OT = Array.from({ length: 34 }, (_, i) => `blk\\.${14 + i}\\.ffn_(up|down|gate)_(ch|)exps=CPU`);

test('fitted args: the line llama-fit-params prints after a successful fit (its README, -ot unquoted)', () => {
  const stdout = `-c 4096 -ngl 48 -ot ${README_OT.join(',')}\n`;
  const fit = parseFittedArgs(stdout);
  assert.ok(fit);
  assert.equal(fit.contextSize, 4096);
  assert.equal(fit.gpuLayers, 48);
  assert.equal(fit.tensorSplit, undefined);
  assert.deepEqual(fit.tensorOverrides, README_OT);
  assert.equal(fit.tensorOverrides?.[0], 'blk\\.14\\.ffn_(up|down|gate)_(ch|)exps=CPU');
  assert.deepEqual(fit.args, ['-c', '4096', '-ngl', '48', '-ot', README_OT.join(',')]);
});

test('fitted args: two GPUs with -ts, and -ot quoted as this build prints it; other stdout lines are ignored', () => {
  const stdout = ['CUDA0 12000 MiB', '-c 8192 -ngl 81 -ts 40,41 -ot "blk\\.79\\.ffn_(up|down|gate)_(ch|)exps=CPU,blk\\.80\\.ffn_(up|down|gate)_(ch|)exps=CPU"', ''].join('\n');
  assert.deepEqual(parseFittedArgs(stdout), {
    contextSize: 8192,
    gpuLayers: 81,
    tensorSplit: [40, 41],
    tensorOverrides: ['blk\\.79\\.ffn_(up|down|gate)_(ch|)exps=CPU', 'blk\\.80\\.ffn_(up|down|gate)_(ch|)exps=CPU'],
    args: ['-c', '8192', '-ngl', '81', '-ts', '40,41', '-ot', 'blk\\.79\\.ffn_(up|down|gate)_(ch|)exps=CPU,blk\\.80\\.ffn_(up|down|gate)_(ch|)exps=CPU'],
  });
  // Recorded from this project's CPU build on a generated model, nothing set but the context: -ngl -1 is llama.cpp's "all".
  assert.deepEqual(parseFittedArgs('-c 512 -ngl -1\n'), { contextSize: 512, gpuLayers: -1, args: ['-c', '512', '-ngl', '-1'] });
});

test('fitted args: none when the fit failed (llama-fit-params prints nothing on stdout then)', () => {
  assert.equal(parseFittedArgs(''), undefined);
  assert.equal(parseFittedArgs('-lv 4\n'), undefined);
});

/** Recorded from this project's Vulkan build on Mesa's lavapipe (llama3-8b Q4_K_M stub, -c 4096, nothing else set): the fit tries configurations. */
const VULKAN_FIT = [
  '0.00.263.169 I common_memory_breakdown_print: | memory breakdown [MiB]                         | total   free    self   model   context   compute    unaccounted |',
  '0.00.263.184 I common_memory_breakdown_print: |   - Vulkan0 (llvmpipe (LLVM 15.0.6, 256 bits)) |  2048 = 2048 + (4616 =  3992 +     512 +     112) +       -4616 |',
  '0.00.263.184 I common_memory_breakdown_print: |   - Host                                       |                  959 =   692 +       0 +     266                |',
  '0.00.265.267 I common_params_fit_impl: projected to use 4616 MiB of device memory vs. 2048 MiB of free device memory',
  '0.01.264.008 I common_memory_breakdown_print: | memory breakdown [MiB]                         | total   free    self   model   context   compute    unaccounted |',
  '0.01.264.014 I common_memory_breakdown_print: |   - Vulkan0 (llvmpipe (LLVM 15.0.6, 256 bits)) |  2048 = 2048 + ( 874 =   662 +      80 +     131) +        -874 |',
  '0.01.264.015 I common_memory_breakdown_print: |   - Host                                       |                 4721 =  4022 +     432 +     266                |',
].join('\n');

test('breakdown: of several tables (a fit that tries configurations) the first is the arguments as given', () => {
  const first = parseMemoryBreakdown(VULKAN_FIT);
  assert.deepEqual(first?.devices, [
    { name: 'Vulkan0', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', totalMiB: 2048, freeMiB: 2048, modelMiB: 3992, contextMiB: 512, computeMiB: 112 },
  ]);
  assert.deepEqual(first?.host, { modelMiB: 692, contextMiB: 0, computeMiB: 266 });
  const all = parseMemoryBreakdowns(VULKAN_FIT);
  assert.equal(all.length, 2);
  assert.deepEqual(all[1]?.devices.map((d) => [d.modelMiB, d.contextMiB, d.computeMiB]), [[662, 80, 131]]);
  assert.deepEqual(all[1]?.host, { modelMiB: 4022, contextMiB: 432, computeMiB: 266 });
});
