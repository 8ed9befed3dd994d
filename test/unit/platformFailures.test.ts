// Out-of-memory as Windows and macOS report it (neither has Linux's OOM killer), classified and stepped down on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyFailure } from '../../src/extension/llama/logClassifier';
import { applyStep, type LaunchShape, type RecoveryOverrides } from '../../src/extension/runner/recoveryLadder';
import { RecoveryPolicy, type PlannedLaunch } from '../../src/extension/runner/recovery';

// llama-server on Windows, a 20 GB model with a small paging file (lines as llama-mmap.cpp prints them).
const WINDOWS_MAPPING = [
  'llama_model_loader: - type q4_K:  193 tensors',
  'llama_model_load: error loading model: CreateFileMappingA failed: The paging file is too small for this operation to complete.',
  'llama_model_load_from_file_impl: failed to load model',
  'srv    load_model: failed to load model, \'C:\\Users\\ann\\models\\qwen2.5-coder-32b-q4_k_m.gguf\'',
];
const WINDOWS_VIEW = ['llama_model_load: error loading model: MapViewOfFile failed: Not enough memory resources are available to process this command.'];

// llama-server on an M2 Pro when Metal runs out of its working set while computing a graph (ggml-metal-context.m).
const METAL_OOM = [
  'ggml_metal_graph_compute: command buffer 0 failed with status 5',
  'error: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)',
  'graph_compute: ggml_backend_sched_graph_compute_async failed with error -1',
];

test('Windows: CreateFileMapping / MapViewOfFile failures are mmap failures, not a bad model', () => {
  assert.equal(classifyFailure(WINDOWS_MAPPING, { code: 1, signal: null }).kind, 'mmap-failed');
  assert.equal(classifyFailure(WINDOWS_VIEW, { code: 1, signal: null }).kind, 'mmap-failed');
});

test('macOS: Metal command buffer out-of-memory is a GPU memory failure, also when ggml aborts after it', () => {
  assert.equal(classifyFailure(METAL_OOM, { code: null, signal: 'SIGABRT' }).kind, 'out-of-gpu-memory');
  assert.equal(classifyFailure(METAL_OOM.slice(0, 1), { code: 1, signal: null }).kind, 'out-of-gpu-memory');
  assert.equal(classifyFailure(METAL_OOM.slice(1, 2), { code: 1, signal: null }).kind, 'out-of-gpu-memory');
  const aborted = [...METAL_OOM, '/Users/ann/llama.cpp/ggml/src/ggml-metal/ggml-metal-context.m:613: GGML_ABORT("fatal error")'];
  assert.equal(classifyFailure(aborted, { code: null, signal: 'SIGABRT' }).kind, 'out-of-gpu-memory');
});

test('Windows: access violation and STATUS_NO_MEMORY exit codes are out of RAM (unsigned as Node reports them, or signed)', () => {
  const loading = ['llama_model_loader: loaded meta data with 33 key-value pairs', 'load_tensors: offloading 40 repeating layers to GPU'];
  for (const code of [3221225477, 3221225495, -1073741819, -1073741801]) {
    const failure = classifyFailure(loading, { code, signal: null });
    assert.equal(failure.kind, 'out-of-ram', String(code));
    assert.match(failure.message, /0xC00000(05|17)/);
  }
  assert.equal(classifyFailure(loading, { code: 3221225786, signal: null }).kind, 'unknown', 'STATUS_CONTROL_C_EXIT is not memory');
  assert.equal(classifyFailure(["gguf_init_from_reader: invalid magic characters: 'xxxx'"], { code: 3221225477, signal: null }).kind, 'bad-model', 'a line that says why wins over the exit code');
});

const DENSE: LaunchShape = { gpuLayers: 33, totalLayers: 33, cpuMoeLayers: 0, isMoe: false, ubatch: 512, cacheType: 'f16', contextSize: 8192 };

function planner(o: RecoveryOverrides): Promise<PlannedLaunch> {
  const shape = applyStep(DENSE, o);
  return Promise.resolve({ planArgs: ['-ngl', String(shape.gpuLayers), '-ub', String(shape.ubatch)], contextSize: shape.contextSize, shape });
}

test('recovery policy steps down on the Windows and Metal memory failures', async () => {
  const cases: { lines: string[]; code: number | null; signal: NodeJS.Signals | null; first: string }[] = [
    { lines: WINDOWS_MAPPING, code: 1, signal: null, first: '256' },
    { lines: METAL_OOM, code: null, signal: 'SIGABRT', first: '26' },
    { lines: [], code: 3221225477, signal: null, first: '256' },
    { lines: [], code: 3221225495, signal: null, first: '256' },
  ];
  for (const c of cases) {
    const policy = new RecoveryPolicy(planner);
    const config = await policy.prepare({ path: 'llama-server' }, { modelPath: '/m.gguf', port: 0, extraArgs: [], contextSize: 0 });
    assert.deepEqual(config.planArgs, ['-ngl', '33', '-ub', '512']);
    const step = policy.stepDown(classifyFailure(c.lines, { code: c.code, signal: c.signal }));
    assert.ok(step, `a step for ${c.lines[0] ?? c.code}`);
    const next = await step(config);
    // GPU out-of-memory gives up layers first; RAM and mmap failures start with the batch.
    assert.ok(next.planArgs?.includes(c.first), `${next.planArgs?.join(' ')} has ${c.first}`);
    assert.equal(policy.changes.length, 1);
  }
});
