// Plan before download: a remote model's real header, read with range requests, written to a sparse
// file of the model's full length. llama.cpp's dry run plans that stub exactly as the real file.
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { readGgufHeaderFrom } from '../gguf/header';
import { authHeaders, listRepoFiles, resolveUrl, type HfConfig } from './hfApi';
import { groupGgufFiles, parseModelRef, pickRemoteModel } from './remoteModels';
import { openHttpSource } from './remoteSource';

/** The URL of the one file a ref names: a URL, `hf:owner/repo/file.gguf` or `hf:owner/repo:QUANT`. */
export async function remoteModelUrl(ref: string, hf: HfConfig): Promise<string | undefined> {
  const parsed = parseModelRef(ref);
  if (!parsed) return undefined;
  if (parsed.kind === 'url') return parsed.url;
  if (parsed.file) return resolveUrl(parsed.repo, parsed.file, hf);
  const model = pickRemoteModel(groupGgufFiles(parsed.repo, await listRepoFiles(parsed.repo, hf)), { quant: parsed.quant });
  if (!model) throw new HeadroomError(`No single GGUF file in ${parsed.repo} matches ${ref}.`, 'Name the file (hf:owner/repo/file.gguf) or a quant (hf:owner/repo:Q4_K_M).');
  if (model.files.length > 1) throw new HeadroomError(`${model.name} is split into ${model.files.length} files; planning before download supports single-file models.`);
  return resolveUrl(parsed.repo, model.files[0]!.path, hf); // groupGgufFiles gives every model at least one file
}

/** Writes `<dir>/<name>.gguf` holding the remote model's header over a hole of its full size. */
export async function writeRemoteStub(url: string, dir: string, hf: HfConfig = {}): Promise<string> {
  const source = await openHttpSource(url, { headers: authHeaders(hf) });
  try {
    const header = await readGgufHeaderFrom(source);
    const bytes = Buffer.alloc(header.dataOffset);
    for (let at = 0; at < bytes.length; ) {
      const n = await source.read(bytes, at, bytes.length - at, at);
      if (n <= 0) throw new HeadroomError(`The server ended the header of ${url} early, at byte ${at}.`);
      at += n;
    }
    await mkdir(dir, { recursive: true });
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? 'model.gguf').replace(/[^\w.-]/g, '_');
    const path = join(dir, name.endsWith('.gguf') ? name : `${name}.gguf`);
    const file = await open(path, 'w');
    try {
      await file.write(bytes, 0, bytes.length, 0);
      await file.truncate(header.fileSize);
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    } finally {
      await file.close();
    }
    return path;
  } finally {
    await source.close();
  }
}
