import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyFailure } from '../../src/extension/llama/logClassifier';
import { oomKillerActed, readOomKillCount } from '../../src/extension/llama/oomKills';
import { LoadProgress } from '../../src/extension/llama/loadProgress';
import { parseBuildPercent } from '../../src/extension/llama/llamaBuild';

// Lines as llama.cpp (the bundled version) prints them.
const BAD_MAGIC = [
  "0.00.004.476 E gguf_init_from_reader: invalid magic characters: 'not ', expected 'GGUF'",
  '0.00.004.481 E llama_model_load: error loading model: llama_model_loader: failed to load model from /tmp/bad.gguf',
  '0.00.004.780 E srv  llama_server: exiting due to model loading error',
];

test('classifier: a non-GGUF file is a bad model', () => {
  assert.equal(classifyFailure(BAD_MAGIC, { code: 1, signal: null }).kind, 'bad-model');
});

test('classifier: CUDA out of memory, failed allocations and fit failures are GPU memory failures', () => {
  for (const line of [
    'ggml_backend_cuda_buffer_type_alloc_buffer: allocating 9000.00 MiB on device 0: cudaMalloc failed: out of memory',
    'llama_model_load: error loading model: unable to allocate CUDA0 buffer',
    'CUDA error: out of memory',
    'graph_reserve: failed to allocate compute buffers',
  ]) {
    assert.equal(classifyFailure([line], { code: 1, signal: null }).kind, 'out-of-gpu-memory', line);
  }
});

test('classifier: mmap failure, port in use, bad arguments, OOM-killer', () => {
  assert.equal(classifyFailure(['llama_model_load: error loading model: mmap failed: Cannot allocate memory'], null).kind, 'mmap-failed');
  assert.equal(classifyFailure(['E srv    start: couldn\'t bind HTTP server socket, hostname: 127.0.0.1, port: 8080'], null).kind, 'port-in-use');
  assert.equal(classifyFailure(['error while handling argument "--ctx-size": stoi'], null).kind, 'bad-arguments');
  assert.equal(classifyFailure(['I srv load_model: loading'], { code: null, signal: 'SIGKILL' }).kind, 'out-of-ram', 'unknown: assume the OOM killer');
  const unknown = classifyFailure([], { code: 3, signal: null });
  assert.equal(unknown.kind, 'unknown');
  assert.match(unknown.message, /code 3/);
});

test('load progress: milestones move forward only', () => {
  const p = new LoadProgress();
  assert.equal(p.push('llama_model_loader: loaded meta data with 30 key-value pairs'), 10);
  assert.equal(p.push('load_tensors: loading model tensors, this can take a while... (load_mode = mmap)'), 25);
  assert.equal(p.push('llama_model_loader: loaded meta data again'), null);
  assert.equal(p.push('srv  llama_server: model loaded'), 100);
});

test('build progress: cmake percent lines', () => {
  assert.equal(parseBuildPercent('[ 42%] Building CXX object ggml/src/x.o'), 42);
  assert.equal(parseBuildPercent('[100%] Built target llama-server'), 100);
  assert.equal(parseBuildPercent('-- Configuring done'), undefined);
});

test('classifier: a SIGKILL is the OOM killer\'s only when its counter moved', () => {
  const killed = { code: null, signal: 'SIGKILL' } as const;
  assert.equal(classifyFailure([], killed, true).kind, 'out-of-ram');
  const other = classifyFailure([], killed, false);
  assert.equal(other.kind, 'killed');
  assert.match(other.message, /another program or a user/);
  assert.equal(classifyFailure(['CUDA error: out of memory'], killed, false).kind, 'out-of-gpu-memory', 'the log wins');
});

test('OOM-kill counter: read from vmstat text, unknown where absent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'headroom-vmstat-'));
  try {
    writeFileSync(join(dir, 'vmstat'), 'pgfault 123\noom_kill 4\nthp_fault_alloc 0\n');
    writeFileSync(join(dir, 'old'), 'pgfault 123\n');
    assert.equal(readOomKillCount(join(dir, 'vmstat')), 4);
    assert.equal(readOomKillCount(join(dir, 'old')), undefined);
    assert.equal(readOomKillCount(join(dir, 'missing')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(oomKillerActed(4, 5), true);
  assert.equal(oomKillerActed(4, 4), false);
  assert.equal(oomKillerActed(undefined, 4), undefined);
});
