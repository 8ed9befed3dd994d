import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMemoryBreakdown } from '../../src/extension/llama/dryRun';

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
