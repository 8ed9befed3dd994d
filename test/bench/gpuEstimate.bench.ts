// GPU estimate benchmark: the estimator against the Vulkan build's dry run on Mesa's lavapipe for
// every case of the Vulkan matrix, per device and component, development and held-back cases in
// separate tables. Rewrites its own section of BENCHMARKS.md. `npm run bench -- gpuEstimate` runs it alone.
import { runCase, type CaseResult } from '../integration/estimateMatrix';
import { VULKAN_MATRIX, vulkanBuild } from '../integration/gpuEstimateMatrix';
import { tempDir } from '../integration/realServer';
import { runBench } from './benchmarksFile';
import { matrixSection } from './estimateTables';

const NAME = 'gpu-estimate';

async function main(): Promise<string> {
  const dir = tempDir('bench-gpu-estimate');
  const results: CaseResult[] = [];
  let deviceLine = '';
  try {
    const vk = await vulkanBuild(dir.path);
    if (!vk.build || !vk.device) throw new Error(vk.missing ?? 'no Vulkan build');
    const limit = vk.device.maxTensorBytes === undefined ? 'no limit found up to 16 GiB' : `${vk.device.maxTensorBytes / 2 ** 20} MiB`;
    deviceLine = `${vk.device.name}, ${vk.device.freeMiB} MiB free; largest tensor it takes, measured by the probe dry run (llama/deviceLimits.ts): ${limit}`;
    for (const c of VULKAN_MATRIX) {
      const r = await runCase(vk.build, dir.path, c);
      results.push(r);
      console.log(`${r.name}: dry run ${r.dryRunMs.toFixed(0)} ms`);
    }
  } finally {
    dir.dispose();
  }
  const body = [
    '## GPU estimate (Vulkan on lavapipe)',
    '',
    `\`npm run bench -- gpuEstimate\` (test/bench/gpuEstimate.bench.ts). Estimator against the dry run (\`llama-fit-params -lv 4\`) of the bundled llama.cpp's Vulkan build on Mesa's lavapipe (GGML_VK_VISIBLE_DEVICES=0): ${deviceLine}. One row per case and device (Host, Vulkan0); cells: dry run / estimate MiB (error); **out** marks a component outside 5% or 32 MiB. small-* models are lavapipe-sized (every tensor and every op of a 512-token batch under 128 MiB); the real-sized ones test the limit (dry runs allocate nothing, so they need not fit the 2 GiB).`,
    '',
    matrixSection(results),
  ].join('\n');
  return body;
}

runBench(NAME, main);
