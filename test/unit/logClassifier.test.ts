import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abortFailure, classifyFailure } from '../../src/extension/llama/logClassifier';
import { oomKillerActed, readOomKillCount } from '../../src/extension/llama/oomKills';
import { LoadProgress } from '../../src/extension/llama/loadProgress';
import { parseBuildPercent } from '../../src/extension/llama/buildProgress';

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

// llama-fit-params on a model with block_count 0 (bundled build, gdb installed): the assertion, then gdb's
// backtrace, whose "No such file or directory" lines are about glibc's sources, not the model.
const FIT_PARAMS_ABORT = [
  '0.00.012.051 I common_params_fit_impl: getting device memory data for initial parameters:',
  '/root/.cache/headroom/llama.cpp/80fb11ac73e6-cpu/src/src/llama-model.cpp:1226: GGML_ASSERT(hparams.n_layer_all > 0 && hparams.n_layer_all <= LLAMA_MAX_LAYERS) failed',
  '[New LWP 26421]',
  '[Thread debugging using libthread_db enabled]',
  'Using host libthread_db library "/lib/x86_64-linux-gnu/libthread_db.so.1".',
  '0x00007fb5de6f1c17 in __GI___wait4 (pid=26422, stat_loc=0x0, options=0, usage=0x0) at ../sysdeps/unix/sysv/linux/wait4.c:30',
  '30\t../sysdeps/unix/sysv/linux/wait4.c: No such file or directory.',
  '#0  0x00007fb5de6f1c17 in __GI___wait4 (pid=26422, stat_loc=0x0, options=0, usage=0x0) at ../sysdeps/unix/sysv/linux/wait4.c:30',
  '30\tin ../sysdeps/unix/sysv/linux/wait4.c',
  '#1  0x000055fe737eed0b in ggml_print_backtrace ()',
  '#2  0x000055fe737eee58 in ggml_abort ()',
  '#3  0x000055fe7358a524 in llama_model_base::load_hparams(llama_model_loader&) ()',
  '#6  0x000055fe734b74aa in llama_model_load_from_file ()',
  '#10 0x000055fe732451ba in llama_fit_params(int, char**) ()',
  '#11 0x00007fb5de64524a in __libc_start_call_main (main=main@entry=0x55fe7323b5b0 <main>, argc=argc@entry=11, argv=argv@entry=0x7ffe21e129e8) at ../sysdeps/nptl/libc_start_call_main.h:58',
  '58\t../sysdeps/nptl/libc_start_call_main.h: No such file or directory.',
  '360\t../csu/libc-start.c: No such file or directory.',
  '#13 0x000055fe73244671 in _start ()',
  '[Inferior 1 (process 26418) detached]',
];

// llama-server on a model laid out with general.alignment 8: mmap hands ggml a misaligned pointer.
const SERVER_ABORT = [
  "0.00.017.704 I srv    load_model: loading model '/tmp/fz/c.gguf'",
  '/root/.cache/headroom/llama.cpp/80fb11ac73e6-cpu/src/ggml/src/ggml-backend.cpp:2515: GGML_ASSERT((uintptr_t)ptr % TENSOR_ALIGNMENT == 0 && "buffer pointer must be aligned") failed',
  '[New LWP 3633]',
  '30\t../sysdeps/unix/sysv/linux/wait4.c: No such file or directory.',
  '#1  0x000055baabff698b in ggml_print_backtrace ()',
  '#2  0x000055baabff6ad8 in ggml_abort ()',
  '#3  0x000055baac0184db in ggml_backend_cpu_buffer_from_ptr ()',
  '#4  0x000055baabd8d2c4 in llama_model_base::load_tensors(llama_model_loader&) ()',
  '#10 0x000055baab91889f in server_context_impl::load_model(common_params&) ()',
  '360\t../csu/libc-start.c: No such file or directory.',
  '[Inferior 1 (process 3631) detached]',
];

const ABORTED = { code: null, signal: 'SIGABRT' } as const;

test('classifier: an abort is "llama.cpp could not load this file" with its assertion, never a path or GPU problem', () => {
  const fit = classifyFailure(FIT_PARAMS_ABORT, ABORTED);
  assert.equal(fit.kind, 'bad-model');
  assert.equal(fit.message, 'llama.cpp could not load this file: GGML_ASSERT(hparams.n_layer_all > 0 && hparams.n_layer_all <= LLAMA_MAX_LAYERS) failed (llama-model.cpp:1226)');
  const server = classifyFailure([...SERVER_ABORT, 'warning: no usable GPU found, --gpu-layers option will be ignored'], ABORTED);
  assert.equal(server.kind, 'bad-model');
  assert.equal(server.message, 'llama.cpp could not load this file: GGML_ASSERT((uintptr_t)ptr % TENSOR_ALIGNMENT == 0 && "buffer pointer must be aligned") failed (ggml-backend.cpp:2515)');
  for (const m of [fit.message, server.message]) assert.doesNotMatch(m, /modelPath|GPU|opened/);
});

test('classifier: an assertion in the log is an abort even when the exit reads as code 134', () => {
  assert.equal(classifyFailure(FIT_PARAMS_ABORT, { code: 134, signal: null }).kind, 'bad-model');
  assert.equal(abortFailure(FIT_PARAMS_ABORT.slice(2), { code: 134, signal: null }), undefined, 'gdb lines alone are not an abort');
});

test('classifier: an uncaught exception names what() (libstdc++ prints it after ggml\'s backtrace)', () => {
  const lines = [
    ...FIT_PARAMS_ABORT.slice(2, 8),
    "terminate called after throwing an instance of 'std::out_of_range'",
    '  what():  basic_string::substr: __pos (which is 3) > this->size() (which is 1)',
  ];
  const failure = classifyFailure(lines, ABORTED);
  assert.equal(failure.kind, 'bad-model');
  assert.equal(failure.message, 'llama.cpp could not load this file: uncaught exception: basic_string::substr: __pos (which is 3) > this->size() (which is 1)');
});

test('classifier: a GGML_ABORT message, the loader error, or nothing at all', () => {
  const fatal = classifyFailure(['/src/src/llama-vocab.cpp:3163: fatal error', '#2  0x0000 in ggml_abort ()'], ABORTED);
  assert.equal(fatal.message, 'llama.cpp could not load this file: fatal error (llama-vocab.cpp:3163)');
  const loader = classifyFailure(['0.00.004.481 E llama_model_load: error loading model: invalid n_rot: 64, expected 32'], ABORTED);
  assert.equal(loader.message, 'llama.cpp could not load this file: llama_model_load: error loading model: invalid n_rot: 64, expected 32');
  assert.equal(classifyFailure([], ABORTED).message, 'llama.cpp could not load this file: it aborted (SIGABRT) without saying why');
});

test('classifier: memory failures that end in an abort stay memory failures', () => {
  // ggml_cuda_error's lines (ggml-cuda.cu, bundled source): the error, where, the call, then GGML_ABORT.
  const cuda = [
    '0.01.912.104 E CUDA error: out of memory',
    '0.01.912.110 E   current device: 0, in function ggml_cuda_pool_malloc at /llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu:397',
    '0.01.912.112 E   cudaMalloc(&ptr, size)',
    '/llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error',
  ];
  assert.equal(classifyFailure(cuda, ABORTED).kind, 'out-of-gpu-memory');
  // The log thread can lose the E lines before an abort; the GGML_ABORT line still says it was the GPU backend.
  const lost = classifyFailure(cuda.slice(-1), ABORTED);
  assert.equal(lost.kind, 'unknown');
  assert.equal(lost.message, "llama.cpp's GPU backend aborted: CUDA error (ggml-cuda.cu:108)");
  const badAlloc = ["terminate called after throwing an instance of 'std::bad_alloc'", '  what():  std::bad_alloc'];
  assert.equal(classifyFailure(badAlloc, ABORTED).kind, 'out-of-ram');
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

test('an abort with no assertion line but a line the classifier knows says that line\'s reason, not "aborted without saying why"', () => {
  const failure = classifyFailure(["gguf_init_from_reader: invalid magic characters: 'xxxx'"], { code: null, signal: 'SIGABRT' });
  assert.equal(failure.kind, 'bad-model');
  assert.match(failure.message, /not a valid or supported GGUF model/);
  assert.match(classifyFailure(['something unknown'], { code: null, signal: 'SIGABRT' }).message, /aborted \(SIGABRT\) without saying why/);
});
