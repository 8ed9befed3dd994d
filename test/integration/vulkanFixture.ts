// What the Vulkan (Mesa lavapipe) suites share: llama.cpp's Vulkan build from the cache, the device as llama.cpp lists
// it, and two generated models. llama.cpp skips CPU-type Vulkan devices unless GGML_VK_VISIBLE_DEVICES names them;
// every child Headroom starts inherits it.
import { after, before, type TestContext } from 'node:test';
import { join } from 'node:path';
import { headroomCacheDir } from '../../src/extension/common/cacheDir';
import { writeModel, writeSparseModel, type ModelShape } from '../../src/extension/gguf/writer/models';
import { findBuild, type BuiltLlama } from '../../src/extension/llama/llamaBuild';
import { readLlamaSource } from '../../src/extension/llama/llamaSource';
import { gpusForBuild, listBuildDevices } from '../../src/extension/llama/listDevices';
import { SystemHardwareProbe, type HardwareFacts } from '../../src/extension/memory/hardware';
import { requireTool } from '../fixtures/requireTool';
import { tempDir } from './realServer';

process.env.GGML_VK_VISIBLE_DEVICES = '0';

export const REPO = join(__dirname, '..', '..', '..');

/** 16 layers of 2048 wide, about 860 MiB in Q8_0, its largest tensor 66 MiB: a real split on a 2 GiB device. */
export const MID_DENSE: ModelShape = {
  arch: 'llama', name: 'Headroom mid dense', nLayer: 16, nEmbd: 2048, nHead: 16, nHeadKv: 4, nFf: 5632,
  nCtx: 8192, nVocab: 32000, ropeFreqBase: 10000, rmsEps: 1e-5, tokenizer: 'spm-chatml',
};

export interface VulkanFixture {
  readonly dir: string;
  hardware: HardwareFacts;
  /** tiny-dense Q8_0, and MID_DENSE written sparse in Q8_0. */
  tiny: string;
  mid: string;
  /** The build, or the test skipped with the reason (under CI, before() has already failed instead). */
  vulkan(t: TestContext): BuiltLlama | undefined;
}

/** Registers before/after hooks on the current suite that find the Vulkan build and write the models into a temp folder. */
export function withVulkanModels(prefix: string): VulkanFixture {
  const dir = tempDir(prefix);
  let build: BuiltLlama | undefined;
  let missing: string | undefined;
  const fx: VulkanFixture = {
    dir: dir.path,
    hardware: { gpus: [], ramTotalMiB: 0, ramAvailableMiB: 0, physicalCores: 1, logicalCores: 1 },
    tiny: join(dir.path, 'tiny-dense-Q8_0.gguf'),
    mid: join(dir.path, 'mid-dense-Q8_0.gguf'),
    vulkan(t) {
      if (!build) t.skip(missing);
      return build;
    },
  };
  before(async () => {
    const source = await readLlamaSource(REPO);
    build = await findBuild(headroomCacheDir(), source.commit, 'vulkan');
    missing = requireTool('the Vulkan build of llama.cpp', build?.server, `no Vulkan build of ${source.commit.slice(0, 12)} in the cache (headroom build --backend vulkan)`);
    if (!build) return;
    fx.hardware = gpusForBuild(await new SystemHardwareProbe().sample(), await listBuildDevices(build.server));
    await writeModel(fx.tiny, 'tiny-dense', { type: 'Q8_0', seed: 1 });
    await writeSparseModel(fx.mid, MID_DENSE, { quant: 'Q8_0' });
  });
  after(() => dir.dispose());
  return fx;
}
