// Literal PlanReports for the plan text, view and panel tests (numbers as the planner gives them).
import type { PlanReport } from '../../src/extension/memory/planReport';

const machine12 = {
  gpus: [{ index: 0, name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11988, usedMiB: 300 }],
  ramTotalMiB: 32768,
  ramAvailableMiB: 28000,
  physicalCores: 8,
  logicalCores: 16,
};

/** Llama 3 8B Q8_0 on a simulated 12 GB GPU: all 33 layers on it, the output layer's copy in RAM. */
export const gpuReport: PlanReport = {
  modelPath: '/models/Meta-Llama-3-8B-Instruct.Q8_0.gguf',
  modelName: 'Meta-Llama-3-8B-Instruct.Q8_0.gguf',
  hardware: machine12,
  commandLine:
    '/home/u/.cache/headroom/llama.cpp/b6000/build/bin/llama-server -m /models/Meta-Llama-3-8B-Instruct.Q8_0.gguf --ctx-size 8192 -ngl 33 --fit off -fa on -t 8 --host 127.0.0.1 --port 8080',
  plan: {
    source: 'estimate',
    args: ['-ngl', '33', '--fit', 'off', '-fa', 'on', '-t', '8'],
    devices: [{ name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11988, modelMiB: 7605.3, contextMiB: 1024, computeMiB: 266.5 }],
    host: { modelMiB: 532.3, contextMiB: 0, computeMiB: 24 },
    hostRepackMiB: 0,
    gpuLayers: { onGpu: 33, total: 33 },
    contextSize: 8192,
    cacheTypeK: 'f16',
    cacheTypeV: 'f16',
    flashAttn: true,
    threads: 8,
    mmap: true,
    cpuMoeLayers: 0,
    batch: 2048,
    ubatch: 512,
    fits: true,
    reasons: [
      'Context 8192 tokens (the default).',
      'Weights memory-mapped (mmap): the file stays in the page cache and loads fast the next time.',
      '33 of 33 layers on the GPU: the model fits with 2.0 GiB to spare.',
      'KV cache f16 (1.0 GiB): a quantized cache would not put more on the GPU.',
      'Flash attention on: it keeps the compute buffer small at long contexts.',
      '8 threads: one per physical core.',
    ],
    warnings: [],
  },
};

/** Qwen3 30B-A3B Q4_K_M on the same 12 GB GPU, measured by a dry run: experts of 21 of 48 layers in RAM. */
export const moeReport: PlanReport = {
  modelPath: '/models/Qwen3-30B-A3B-Q4_K_M.gguf',
  modelName: 'Qwen3-30B-A3B-Q4_K_M.gguf',
  hardware: machine12,
  commandLine:
    '/opt/llama/llama-server -m /models/Qwen3-30B-A3B-Q4_K_M.gguf --ctx-size 8192 -ngl 49 --fit off -ctk q4_0 -ctv q4_0 -fa on -t 8 --n-cpu-moe 21',
  plan: {
    source: 'dry-run',
    args: ['-ngl', '49', '--fit', 'off', '-ctk', 'q4_0', '-ctv', 'q4_0', '-fa', 'on', '-t', '8', '--n-cpu-moe', '21'],
    devices: [{ name: 'CUDA0', totalMiB: 12288, freeMiB: 11988, modelMiB: 10175.9, contextMiB: 216, computeMiB: 464.3 }],
    host: { modelMiB: 7515.4, contextMiB: 0, computeMiB: 20 },
    hostRepackMiB: 0,
    gpuLayers: { onGpu: 49, total: 49 },
    contextSize: 8192,
    cacheTypeK: 'q4_0',
    cacheTypeV: 'q4_0',
    flashAttn: true,
    threads: 8,
    mmap: true,
    cpuMoeLayers: 21,
    batch: 2048,
    ubatch: 512,
    fits: true,
    reasons: [
      '49 of 49 layers on the GPU, with the expert tensors of 21 of 48 layers in RAM: experts are the cheapest part to run on the CPU.',
      'KV cache q4_0 with flash attention: it keeps the experts of 2 layers fewer in RAM than f16.',
    ],
    warnings: [],
  },
};

/** Llama 3 8B Q4_K_M on a machine without a GPU. */
export const cpuReport: PlanReport = {
  modelPath: '/models/Meta-Llama-3-8B-Instruct.Q4_K_M.gguf',
  modelName: 'Meta-Llama-3-8B-Instruct.Q4_K_M.gguf',
  hardware: { gpus: [], ramTotalMiB: 16384, ramAvailableMiB: 12000, physicalCores: 4, logicalCores: 8 },
  commandLine: '/usr/local/bin/llama-server -m /models/Meta-Llama-3-8B-Instruct.Q4_K_M.gguf --ctx-size 8192 -ngl 0 --fit off -fa on -t 4',
  plan: {
    source: 'estimate',
    args: ['-ngl', '0', '--fit', 'off', '-fa', 'on', '-t', '4'],
    devices: [],
    host: { modelMiB: 4685.3, contextMiB: 1024, computeMiB: 266.5 },
    hostRepackMiB: 3204,
    gpuLayers: { onGpu: 0, total: 33 },
    contextSize: 8192,
    cacheTypeK: 'f16',
    cacheTypeV: 'f16',
    flashAttn: true,
    threads: 4,
    mmap: true,
    cpuMoeLayers: 0,
    batch: 2048,
    ubatch: 512,
    fits: true,
    reasons: ['All 33 layers on the CPU: no GPU was found.', '4 threads: one per physical core.'],
    warnings: [],
  },
};

/** A plan that does not fit: a 70B model forced fully onto the 12 GB GPU. */
export const overReport: PlanReport = {
  ...gpuReport,
  modelPath: '/models/Llama-3-70B-Q4_K_M.gguf',
  modelName: 'Llama-3-70B-Q4_K_M.gguf',
  commandLine: '/opt/llama/llama-server -m /models/Llama-3-70B-Q4_K_M.gguf --ctx-size 8192 -ngl 81 --fit off -ctk q8_0 -fa on -t 8',
  plan: {
    ...gpuReport.plan,
    devices: [{ name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11988, modelMiB: 11500, contextMiB: 1280, computeMiB: 300 }],
    gpuLayers: { onGpu: 81, total: 81 },
    cacheTypeK: 'q8_0',
    cacheTypeV: 'f16',
    fits: false,
    reasons: ['81 of 81 layers on the GPU: set in the settings.'],
    warnings: ['-ngl 81 was set in the settings and does not fit: NVIDIA GeForce RTX 3060 needs 13080 MiB, has 10964 MiB.'],
  },
};

/** Llama 3 70B Q4_K_M split between the 12 GB GPU (19 of 81 layers) and 64 GB of RAM. */
export const splitReport: PlanReport = {
  modelPath: '/models/Meta-Llama-3-70B-Instruct.Q4_K_M.gguf',
  modelName: 'Meta-Llama-3-70B-Instruct.Q4_K_M.gguf',
  hardware: { ...machine12, ramTotalMiB: 65536, ramAvailableMiB: 60000 },
  commandLine: '/opt/llama/llama-server -m /models/Meta-Llama-3-70B-Instruct.Q4_K_M.gguf --ctx-size 8192 -ngl 19 --fit off -fa on -t 8',
  plan: {
    source: 'estimate',
    args: ['-ngl', '19', '--fit', 'off', '-fa', 'on', '-t', '8'],
    devices: [{ name: 'NVIDIA GeForce RTX 3060', totalMiB: 12288, freeMiB: 11988, modelMiB: 9862.7, contextMiB: 576, computeMiB: 466.3 }],
    host: { modelMiB: 30640.4, contextMiB: 1984, computeMiB: 240 },
    hostRepackMiB: 0,
    gpuLayers: { onGpu: 19, total: 81 },
    contextSize: 8192,
    cacheTypeK: 'f16',
    cacheTypeV: 'f16',
    flashAttn: true,
    threads: 8,
    mmap: true,
    cpuMoeLayers: 0,
    batch: 2048,
    ubatch: 512,
    fits: true,
    reasons: [
      '19 of 81 layers on the GPU: that is as many as fit with a 1.0 GiB margin; the rest run on the CPU.',
      'KV cache f16 (2.5 GiB): a quantized cache would not put more on the GPU.',
    ],
    warnings: [],
  },
};
