// Finds GGUF models on this machine: every location's candidates, deduplicated by real path,
// split models grouped under their first part, headers read through the cache.
import { realpath, stat } from 'node:fs/promises';
import type { HeaderCache } from './headerCache';
import type { ModelLocation, ModelSourceKind } from './locations';
import { mergeShards, type ModelSummary } from './modelSummary';
import { type Candidate, candidatesIn } from './sources';
import { parseSplitName, splitPartPaths } from './splitName';

export interface FoundModel {
  readonly source: ModelSourceKind;
  readonly label: string;
  /** The file to give llama-server: the first part of a split model. */
  readonly path: string;
  readonly parts: readonly string[];
  /** All parts together. */
  readonly sizeBytes: number;
  readonly summary: ModelSummary;
}

export interface SkippedFile {
  readonly source: ModelSourceKind;
  readonly label: string;
  readonly path: string;
  readonly reason: string;
}

export interface DiscoveryResult {
  readonly models: FoundModel[];
  /** Not GGUF, unreadable, incomplete split, or (unless asked for) projectors, vocabularies and adapters. */
  readonly skipped: SkippedFile[];
}

export interface DiscoverOptions {
  readonly cache: HeaderCache;
  /** Also list projectors, vocabulary-only files and adapters. */
  readonly includeNonModels?: boolean;
}

interface FileFacts {
  readonly size: number;
  readonly mtimeMs: number;
}

async function facts(path: string): Promise<FileFacts | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s?.isFile() ? { size: s.size, mtimeMs: s.mtimeMs } : undefined;
}

/** Labels a split model by its first part without the `-00001-of-00003` tail. */
function splitLabel(label: string): string {
  return label.replace(/-\d{5}-of-\d{5}$/i, '');
}

async function inspect(candidate: Candidate, options: DiscoverOptions): Promise<FoundModel | SkippedFile> {
  const skip = (reason: string): SkippedFile => ({ source: candidate.source, label: candidate.label, path: candidate.path, reason });
  const parts = splitPartPaths(candidate.path) ?? [candidate.path];
  const shards: ModelSummary[] = [];
  let sizeBytes = 0;
  for (const [i, part] of parts.entries()) {
    const f = await facts(part);
    if (!f) return skip(`part ${i + 1} of ${parts.length} is missing (${part})`);
    const read = await options.cache.summary(part, f.size, f.mtimeMs);
    if ('error' in read) return skip(read.error);
    shards.push(read.summary);
    sizeBytes += f.size;
  }
  const summary = mergeShards(shards);
  if (summary.kind !== 'model' && !options.includeNonModels) return skip(`not a model (${summary.kind}, ${summary.architecture})`);
  const label = parts.length > 1 ? splitLabel(candidate.label) : candidate.label;
  return { source: candidate.source, label, path: candidate.path, parts, sizeBytes, summary };
}

export async function discoverModels(locations: readonly ModelLocation[], options: DiscoverOptions): Promise<DiscoveryResult> {
  const seen = new Set<string>();
  const models: FoundModel[] = [];
  const skipped: SkippedFile[] = [];
  for (const location of locations) {
    for (const candidate of await candidatesIn(location)) {
      const split = parseSplitName(candidate.path);
      if (split && split.part !== 1) continue; // listed once, under part 1
      const real = await realpath(candidate.path).catch(() => undefined);
      if (!real || seen.has(real)) continue;
      seen.add(real);
      const found = await inspect(candidate, options);
      if ('summary' in found) models.push(found);
      else skipped.push(found);
    }
  }
  await options.cache.save();
  return { models, skipped };
}
