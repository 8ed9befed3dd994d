import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HardwareFacts } from '../../src/extension/memory/hardware';
import { listRepoFiles } from '../../src/extension/models/hfApi';
import { groupGgufFiles } from '../../src/extension/models/remoteModels';
import { adviseQuants, judgeRemoteModels } from '../../src/extension/models/remoteVerdicts';
import { planVerdict } from '../../src/extension/models/planVerdict';
import { writeSparseModel } from '../../src/extension/gguf/writer/models';
import { writeProjector } from '../unit/modelsFixtures';
import { FakeHub } from './downloadServer';
import { itemAt } from '../fixtures/itemAt';

let hub: FakeHub;
let dir: string;
const REPO = 'meta/Llama-3.1-8B-Instruct-GGUF';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'headroom-rv-'));
  hub = new FakeHub();
  await hub.start();
  for (const quant of ['Q4_K_M', 'Q8_0', 'F16'] as const) {
    const path = join(dir, `llama-${quant}.gguf`);
    await writeSparseModel(path, 'llama3-8b', { quant }); // real header over a hole: 5-16 GB "files"
    hub.addFile(REPO, `Llama-3.1-8B-Instruct-${quant}.gguf`, { diskPath: path });
  }
  await writeProjector(join(dir, 'mmproj.gguf'));
  hub.addFile(REPO, 'mmproj-Llama-3.1-8B-F16.gguf', { diskPath: join(dir, 'mmproj.gguf') });
  // sha256 of a 16 GB hole is not what this test is about: the listing says "no LFS hash" for them.
});

after(async () => {
  await hub.stop();
  await rm(dir, { recursive: true, force: true });
});

const machine = (vramGiB: number, ramGiB: number): HardwareFacts => ({
  gpus: vramGiB > 0 ? [{ index: 0, name: 'Test GPU', totalMiB: vramGiB * 1024, freeMiB: vramGiB * 1024, usedMiB: 0 }] : [],
  ramTotalMiB: ramGiB * 1024,
  ramAvailableMiB: ramGiB * 1024,
  physicalCores: 8,
  logicalCores: 16,
});

test('remote headers, read with range requests, rank the quants for this machine before any download', async () => {
  // The fake hub hashes listed files; keep it from reading 30 GB of holes.
  for (const [path, f] of hub.repos.get(REPO) ?? []) hub.addFile(REPO, path, { ...f, listedSha256: '0'.repeat(64) });
  const models = groupGgufFiles(REPO, await listRepoFiles(REPO, { baseUrl: hub.baseUrl }));
  const sent = hub.bodyBytes;
  const judged = await judgeRemoteModels(models, machine(8, 32), planVerdict, { baseUrl: hub.baseUrl });
  const fetched = hub.bodyBytes - sent;
  assert.ok(fetched < 64 * 1024 * 1024, `read ${fetched} bytes: headers only`);
  assert.deepEqual(judged.map((j) => `${j.model.quant} ${j.verdict.kind}`), ['Q4_K_M gpu', 'Q8_0 partial', 'F16 partial', 'F16 gpu']);
  const q4 = itemAt(judged, 0);
  const q8 = itemAt(judged, 1);
  const f16 = itemAt(judged, 2);
  const proj = itemAt(judged, 3);
  assert.equal(q4.summary?.architecture, 'llama');
  assert.equal(q4.summary?.quant, 'Q4_K_M');
  assert.equal(q4.summary?.layerBytes.length, 32);
  assert.match(q8.verdict.text, /^\d+\/33 layers on GPU$/);
  assert.ok((q8.verdict.gpuLayers ?? 0) > (f16.verdict.gpuLayers ?? 0));
  assert.equal(proj.model.projector, true);
  assert.equal(proj.summary?.kind, 'projector');

  const advice = adviseQuants(judged, machine(8, 32));
  assert.match(advice?.recommended?.label ?? '', /Q4_K_M/);
  assert.match(advice?.why ?? '', /^Q4_K_M runs fully on your 8 GB GPU; Q8_0 would put \d+ of 33 layers on the CPU\.$/);

  const cpuOnly = await judgeRemoteModels(models.filter((m) => !m.projector), machine(0, 12), planVerdict, { baseUrl: hub.baseUrl });
  assert.deepEqual(cpuOnly.map((j) => `${j.model.quant} ${j.verdict.kind}`), ['Q8_0 cpu', 'Q4_K_M cpu', 'F16 no-fit']);
});
