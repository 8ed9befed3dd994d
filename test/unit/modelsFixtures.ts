// GGUF files laid out the way each tool keeps them, under a temporary home folder.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tinyModelSpec, writeModel } from '../../src/extension/gguf/writer/models';
import { kv, writeGguf } from '../../src/extension/gguf/writer/ggufWriter';

export async function put(path: string, write: (path: string) => Promise<unknown>): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await write(path);
  return path;
}

export const tiny = (seed: number) => (path: string) => writeModel(path, 'tiny-dense', { type: 'Q8_0', seed });

/** A model split in two shards, as gguf-split writes them: split.* keys in both, tensors divided. */
export async function writeSplitModel(dir: string, prefix: string): Promise<string[]> {
  const spec = tinyModelSpec('tiny-dense', { type: 'Q8_0', seed: 7 });
  const half = Math.ceil(spec.tensors.length / 2);
  const splitKvs = (no: number) => [kv.u16('split.no', no), kv.u16('split.count', 2), kv.i32('split.tensors.count', spec.tensors.length)];
  const first = join(dir, `${prefix}-00001-of-00002.gguf`);
  const second = join(dir, `${prefix}-00002-of-00002.gguf`);
  await mkdir(dir, { recursive: true });
  await writeGguf(first, [...spec.kvs, ...splitKvs(0)], spec.tensors.slice(0, half));
  await writeGguf(second, splitKvs(1), spec.tensors.slice(half));
  return [first, second];
}

export async function writeProjector(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeGguf(path, [kv.str('general.architecture', 'clip'), kv.str('general.type', 'mmproj')], [
    { name: 'mm.0.weight', type: 0, dims: [32, 4], data: new Uint8Array(32 * 4 * 4) },
  ]);
}

export async function writeVocabOnly(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const spec = tinyModelSpec('tiny-dense');
  await writeGguf(path, spec.kvs, []);
}

export interface LaidOutHome {
  readonly home: string;
  readonly folder: string;
}

/** Every tool's layout with one model (or more) in it. */
export async function layOutHome(home: string): Promise<LaidOutHome> {
  // Hugging Face cache: snapshots hold relative symlinks into blobs/.
  const hfRepo = join(home, '.cache/huggingface/hub/models--Qwen--Tiny-GGUF');
  await put(join(hfRepo, 'blobs/aaaa'), tiny(1));
  await mkdir(join(hfRepo, 'snapshots/rev1'), { recursive: true });
  await symlink('../../blobs/aaaa', join(hfRepo, 'snapshots/rev1/tiny-q8_0.gguf'));
  await mkdir(join(hfRepo, 'snapshots/rev2'), { recursive: true });
  await symlink('../../blobs/aaaa', join(hfRepo, 'snapshots/rev2/tiny-q8_0.gguf')); // same blob, listed once
  await put(join(hfRepo, 'blobs/bbbb'), writeProjector);
  await symlink('../../blobs/bbbb', join(hfRepo, 'snapshots/rev1/mmproj-tiny-f16.gguf'));
  // LM Studio, both locations.
  await put(join(home, '.lmstudio/models/lmstudio-community/Tiny-GGUF/Tiny-Q8_0.gguf'), tiny(2));
  await put(join(home, '.cache/lm-studio/models/old/Tiny-GGUF/Old-Q8_0.gguf'), tiny(3));
  // llama.cpp's cache.
  await put(join(home, '.cache/llama.cpp/ggml-org_tiny-GGUF_tiny-q8_0.gguf'), tiny(4));
  await writeVocabOnly(join(home, '.cache/llama.cpp/ggml-vocab-llama.gguf'));
  // Ollama: the manifest names the model blob by digest.
  const ollama = join(home, '.ollama/models');
  const digest = 'c'.repeat(64);
  await put(join(ollama, `blobs/sha256-${digest}`), tiny(5));
  await put(join(ollama, 'manifests/registry.ollama.ai/library/llama3.1/8b'), (p) =>
    writeFile(p, JSON.stringify({
      schemaVersion: 2,
      layers: [
        { mediaType: 'application/vnd.ollama.image.template', digest: `sha256:${'d'.repeat(64)}`, size: 10 },
        { mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}`, size: 1 },
      ],
    })));
  await put(join(ollama, 'manifests/hf.co/bartowski/Tiny-GGUF/Q8_0'), (p) =>
    writeFile(p, JSON.stringify({ layers: [{ mediaType: 'application/vnd.ollama.image.model', digest: `sha256:${digest}` }] })));
  // A configured folder: a split model, a file that is not GGUF, and a link back to LM Studio's folder.
  const folder = join(home, 'models');
  await writeSplitModel(join(folder, 'big'), 'Big-Q8_0');
  await put(join(folder, 'broken.gguf'), (p) => writeFile(p, 'not a gguf'));
  await symlink(join(home, '.lmstudio/models'), join(folder, 'lmstudio-link'));
  return { home, folder };
}
