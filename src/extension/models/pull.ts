// `hf:owner/repo[:QUANT | /file.gguf]` or a URL -> files in the download folder, all parts of a
// split model, with one progress stream over all of them.
import { basename, join } from 'node:path';
import { HeadroomError } from '../common/errors';
import { assertRoomFor, type DiskLayer, REAL_DISK } from './diskSpace';
import { type DownloadedFile, downloadFile } from './downloader';
import type { RetryOptions } from './downloadRetries';
import { assertRepoId, authHeaders, type HfConfig, listRepoFiles, resolveUrl } from './hfApi';
import { type DownloadProgress, progressOf, SpeedMeter } from './progress';
import { groupGgufFiles, type ModelRef, parseModelRef, pickRemoteModel, type RemoteModel } from './remoteModels';
import { splitPartPaths } from './splitName';
import { partialPath, sizeOf } from './transfer';

export interface PullFile {
  readonly url: string;
  readonly dest: string;
  readonly size?: number;
  readonly sha256?: string;
  /** Send the Hugging Face token (only to the configured Hugging Face host). */
  readonly withToken: boolean;
}

export interface PullPlan {
  readonly files: readonly PullFile[];
  /** The path to give llama-server: the first part. */
  readonly modelPath: string;
  readonly model?: RemoteModel;
}

/** Where and how to pull; the retry bounds (tries and time without progress) apply to each file. */
export interface PullOptions extends RetryOptions {
  readonly folder: string;
  readonly hf: HfConfig;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Free space and writes; the real disk unless a test simulates one. */
  readonly disk?: DiskLayer;
}

export function parseRefOrThrow(ref: string): ModelRef {
  const parsed = parseModelRef(ref);
  if (!parsed) {
    throw new HeadroomError(`"${ref}" is neither hf:owner/repo nor an http(s) URL.`, 'Examples: hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF, hf:owner/repo:Q4_K_M, hf:owner/repo/file.gguf, https://host/model.gguf');
  }
  return parsed;
}

/** Where a repository's file lands: `<folder>/<owner>/<repo>/<file>`, the layout LM Studio uses too. */
export function destinationFor(folder: string, repo: string, file: string): string {
  return join(folder, ...repo.split('/'), ...file.split('/'));
}

export function planForModel(model: RemoteModel, options: Pick<PullOptions, 'folder' | 'hf'>): PullPlan {
  const files = model.files.map((f) => ({
    url: resolveUrl(model.repo, f.path, options.hf),
    dest: destinationFor(options.folder, model.repo, f.path),
    size: f.size,
    sha256: f.sha256,
    withToken: true,
  }));
  return { files, modelPath: files[0]!.dest, model }; // groupGgufFiles gives every model at least one file
}

function planForUrl(url: string, folder: string, hf: HfConfig): PullPlan {
  const u = new URL(url);
  const name = decodeURIComponent(basename(u.pathname));
  if (!name) throw new HeadroomError(`${url} does not name a file.`);
  const dir = u.pathname.slice(0, u.pathname.length - basename(u.pathname).length);
  const names = splitPartPaths(name) ?? [name];
  const hfOrigin = new URL(hf.baseUrl ?? 'https://huggingface.co').origin;
  const files = names.map((n) => ({ url: new URL(`${dir}${encodeURIComponent(n)}${u.search}`, u.origin).toString(), dest: join(folder, n), withToken: u.origin === hfOrigin }));
  return { files, modelPath: files[0]!.dest }; // one name, or a split's parts (at least part 1)
}

/**
 * The plan for a ref. A repository with no file or quant named is listed and `choose` picks one
 * (the VS Code picker, or the CLI's listing; never asked with an empty list); without `choose` that is an error naming the files.
 */
export async function planPull(
  ref: string,
  options: Pick<PullOptions, 'folder' | 'hf' | 'signal'>,
  choose?: (models: RemoteModel[]) => Promise<RemoteModel | undefined>,
): Promise<PullPlan | undefined> {
  const parsed = parseRefOrThrow(ref);
  if (parsed.kind === 'url') return planForUrl(parsed.url, options.folder, options.hf);
  assertRepoId(parsed.repo);
  const models = groupGgufFiles(parsed.repo, await listRepoFiles(parsed.repo, options.hf, options.signal));
  if (models.length === 0) throw new HeadroomError(`${parsed.repo} has no GGUF files.`, 'Look for a repository whose name ends in -GGUF.');
  const picked = pickRemoteModel(models, parsed);
  if (picked) return planForModel(picked, options);
  if (parsed.file || parsed.quant) {
    throw new HeadroomError(`${parsed.repo} has no ${parsed.file ?? parsed.quant}.`, `It has: ${models.map((m) => m.name).join(', ')}.`);
  }
  if (!choose) throw new HeadroomError(`${parsed.repo} has ${models.length} GGUF models; name one.`, `It has: ${models.map((m) => m.name).join(', ')}.`);
  const chosen = await choose(models);
  return chosen ? planForModel(chosen, options) : undefined;
}

/** Bytes still to download for the listed files: each one's size less what its .partial (or a complete file) holds. */
async function bytesStillNeeded(files: readonly PullFile[]): Promise<number> {
  let needed = 0;
  for (const f of files) {
    if (f.size === undefined || (await sizeOf(f.dest)) === f.size) continue;
    needed += f.size - Math.min(f.size, (await sizeOf(partialPath(f.dest))) ?? 0);
  }
  return needed;
}

export async function runPull(plan: PullPlan, options: PullOptions): Promise<DownloadedFile[]> {
  const known = plan.files.every((f) => f.size !== undefined);
  const totalBytes = known ? plan.files.reduce((s, f) => s + (f.size ?? 0), 0) : undefined;
  // All parts of a split model at once: not 20 GB in before the third part finds the disk full.
  const { signal, maxTries, maxStallMs, idleMs, retryDelayMs, disk } = options;
  if (plan.files.length > 1) await assertRoomFor(disk ?? REAL_DISK, options.folder, await bytesStillNeeded(plan.files), `the .partial files next to ${plan.modelPath}`);
  const meter = new SpeedMeter();
  let done = 0;
  let lastReport = 0;
  const results: DownloadedFile[] = [];
  for (const file of plan.files) {
    const name = basename(file.dest);
    const result = await downloadFile({
      signal,
      maxTries,
      maxStallMs,
      idleMs,
      retryDelayMs,
      disk,
      url: file.url,
      dest: file.dest,
      listedSize: file.size,
      sha256: file.sha256,
      headers: file.withToken ? authHeaders(options.hf) : {},
      fetchImpl: options.hf.fetchImpl,
      onRetry: (why) => {
        meter.restart();
        options.onRetry?.(why);
      },
      onBytes: (received, total) => {
        const now = performance.now();
        const all = done + received;
        const rate = meter.add(all);
        if (now - lastReport < 200 && received !== total) return;
        lastReport = now;
        options.onProgress?.(progressOf(name, all, totalBytes ?? (plan.files.length === 1 ? total : undefined), rate));
      },
    });
    done += result.size;
    results.push(result);
  }
  return results;
}
