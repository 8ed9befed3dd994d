import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverModels } from '../../src/extension/models/discover';
import { HeaderCache } from '../../src/extension/models/headerCache';
import { modelLocations } from '../../src/extension/models/locations';
import { layOutHome } from './modelsFixtures';
import { itemAt } from '../fixtures/itemAt';

async function withHome<T>(work: (home: string, folder: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'headroom-home-'));
  try {
    const { folder } = await layOutHome(home);
    return await work(home, folder);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

const locationsFor = (home: string, folder: string) => modelLocations({ home, env: {}, platform: 'linux', modelFolders: [folder], systemFolders: false });

test('locations: settings folders first, then each tool; env variables move them', () => {
  const l = modelLocations({ home: '/h', env: { HF_HOME: '/hf', LLAMA_CACHE: '/lc', OLLAMA_MODELS: '/ol' }, platform: 'linux', modelFolders: ['~/m'] });
  assert.deepEqual(l.map((x) => `${x.source}:${x.root}`), [
    'folder:/h/m', 'huggingface:/hf/hub', 'lmstudio:/h/.lmstudio/models', 'lmstudio:/h/.cache/lm-studio/models', 'llamacpp:/lc', 'ollama:/ol',
  ]);
  const mac = modelLocations({ home: '/h', env: {}, platform: 'darwin' });
  assert.ok(mac.some((x) => x.root === '/h/Library/Caches/llama.cpp'));
  assert.ok(mac.some((x) => x.root === '/h/.cache/huggingface/hub'));
  assert.ok(modelLocations({ home: '/h', env: {}, platform: 'linux' }).some((x) => x.root === '/usr/share/ollama/.ollama/models'));
});

test('discovery: every tool\'s layout, split models once, projectors/vocab/broken files skipped', async () => {
  await withHome(async (home, folder) => {
    const { models, skipped } = await discoverModels(locationsFor(home, folder), { cache: await HeaderCache.open() });
    const labels = models.map((m) => `${m.source}:${m.label}`);
    assert.deepEqual(labels, [
      'folder:big/Big-Q8_0',
      'folder:lmstudio-link/lmstudio-community/Tiny-GGUF/Tiny-Q8_0',
      'huggingface:Qwen/Tiny-GGUF/tiny-q8_0',
      'lmstudio:old/Tiny-GGUF/Old-Q8_0',
      'llamacpp:ggml-org_tiny-GGUF_tiny-q8_0',
      'ollama:hf.co/bartowski/Tiny-GGUF:Q8_0',
    ]);
    // The Ollama blob is shared by two manifests: listed once, under the first manifest found.
    assert.ok(!labels.includes('ollama:llama3.1:8b'));
    const split = itemAt(models, 0);
    assert.equal(split.parts.length, 2);
    assert.equal(split.summary.architecture, 'llama');
    assert.equal(split.summary.layerBytes.length, 4, 'layers from both shards');
    const whole = itemAt(models, 2).summary;
    assert.equal(split.summary.tensorBytes, whole.tensorBytes, 'shards add up to the whole model');
    assert.equal(split.summary.quant, 'Q8_0');
    assert.equal(whole.kind, 'model');
    const reasons = skipped.map((s) => `${s.label}: ${s.reason}`).join('\n');
    assert.match(reasons, /broken: .*not a GGUF/);
    assert.match(reasons, /mmproj-tiny-f16: not a model \(projector, clip\)/);
    assert.match(reasons, /ggml-vocab-llama: not a model \(vocab-only/);
  });
});

test('discovery: Ollama models are named model:tag, and projectors appear when asked', async () => {
  await withHome(async (home) => {
    const only = modelLocations({ home, env: {}, platform: 'linux', systemFolders: false }).filter((l) => l.source === 'ollama' || l.source === 'huggingface');
    const { models } = await discoverModels(only.reverse(), { cache: await HeaderCache.open(), includeNonModels: true });
    assert.deepEqual(models.map((m) => m.label), ['hf.co/bartowski/Tiny-GGUF:Q8_0', 'Qwen/Tiny-GGUF/mmproj-tiny-f16', 'Qwen/Tiny-GGUF/tiny-q8_0']);
    assert.equal(models[1]?.summary.kind, 'projector');
    assert.match(itemAt(models, 0).path, /blobs\/sha256-c{64}$/);
  });
});

test('header cache: keyed by path, size and mtime; persisted as JSON', async () => {
  await withHome(async (home, folder) => {
    const file = join(home, 'cache/model-headers.json');
    const locations = locationsFor(home, folder).filter((l) => l.source === 'lmstudio');
    await discoverModels(locations, { cache: await HeaderCache.open(file) });
    const saved = JSON.parse(await readFile(file, 'utf8')) as { entries: Record<string, { summary?: { name?: string } }> };
    const path = join(home, '.lmstudio/models/lmstudio-community/Tiny-GGUF/Tiny-Q8_0.gguf');
    assert.ok(saved.entries[path]?.summary);
    // A hit is served from the file: prove it by editing the cached name.
    saved.entries[path].summary = { ...saved.entries[path].summary, name: 'from the cache' };
    await writeFile(file, JSON.stringify(saved));
    let found = await discoverModels(locations, { cache: await HeaderCache.open(file) });
    assert.equal(found.models.find((m) => m.path === path)?.summary.name, 'from the cache');
    // A new mtime means a new file: read again.
    await utimes(path, new Date(), new Date(Date.now() + 5000));
    found = await discoverModels(locations, { cache: await HeaderCache.open(file) });
    assert.equal(found.models.find((m) => m.path === path)?.summary.name, 'Headroom tiny dense Q8_0');
    // A corrupt cache file is ignored.
    await writeFile(file, '{nope');
    assert.equal((await HeaderCache.open(file)).size, 0);
  });
});

test('discovery: a split model with a missing part is skipped with the reason', async () => {
  await withHome(async (home, folder) => {
    await rm(join(folder, 'big/Big-Q8_0-00002-of-00002.gguf'));
    const { models, skipped } = await discoverModels(locationsFor(home, folder).slice(0, 1), { cache: await HeaderCache.open() });
    assert.ok(!models.some((m) => m.label.startsWith('big/')));
    assert.ok(skipped.some((s) => /part 2 of 2 is missing/.test(s.reason)));
  });
});
