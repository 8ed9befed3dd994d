import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { dryRun } from '../../src/extension/llama/dryRun';
import { remoteModelUrl, writeRemoteStub } from '../../src/extension/models/remoteStub';
import { writeSparseModel } from '../../src/extension/gguf/writer/models';
import { FakeHub } from './downloadServer';
import { realServer, tempDir } from './realServer';

const REPO = 'meta/Llama-3.1-8B-Instruct-GGUF';
const FILE = 'Llama-3.1-8B-Instruct-Q4_K_M.gguf';
const dir = tempDir('plan-remote');
let hub: FakeHub;
let original = '';

before(async () => {
  hub = new FakeHub();
  await hub.start();
  original = join(dir.path, 'original.gguf');
  await writeSparseModel(original, 'llama3-8b', { quant: 'Q4_K_M' });
  hub.addFile(REPO, FILE, { diskPath: original, listedSha256: '0'.repeat(64) });
});

after(async () => {
  await hub.stop();
  dir.dispose();
});

test('plan before download (loopback hub): the header read by range requests dry-runs exactly like the whole file', async () => {
  const fitParams = (await realServer()).fitParams;
  assert.ok(fitParams, 'this build has llama-fit-params');
  const hf = { baseUrl: hub.baseUrl };
  const url = await remoteModelUrl(`hf:${REPO}:Q4_K_M`, hf);
  assert.equal(url, `${hub.baseUrl}/${REPO}/resolve/main/${FILE}`);
  const sent = hub.bodyBytes;
  const stub = await writeRemoteStub(url ?? '', join(dir.path, 'stubs'), hf);
  assert.ok(hub.bodyBytes - sent < 32 * 2 ** 20, 'only the header travelled');
  const st = statSync(stub);
  assert.equal(st.size, statSync(original).size, 'the stub has the model\'s full length');
  assert.ok(st.blocks * 512 < 16 * 2 ** 20, 'and is sparse');
  const args = ['--ctx-size', '4096', '-ngl', '0', '-t', '2'];
  const [fromStub, fromFile] = await Promise.all([dryRun(fitParams, stub, args), dryRun(fitParams, original, args)]);
  assert.deepEqual(fromStub.host, fromFile.host);
  assert.ok(fromStub.host.modelMiB > 4000, `an 8B Q4_K_M plans ~4.6 GiB of weights, got ${fromStub.host.modelMiB}`);
});
