// Each tool's folder layout turned into candidate files with the name that tool's users know.
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ModelLocation, ModelSourceKind } from './locations';
import { walkFiles } from './walk';

export interface Candidate {
  readonly source: ModelSourceKind;
  readonly path: string;
  /** "llama3.1:8b", "Qwen/Qwen2.5-Coder-7B-Instruct-GGUF/qwen2.5-coder-7b-instruct-q4_k_m", "my-model". */
  readonly label: string;
}

const isGguf = (name: string): boolean => name.toLowerCase().endsWith('.gguf');
const stripGguf = (name: string): string => name.replace(/\.gguf$/i, '');
const posix = (path: string): string => path.split(sep).join('/');

/** `<cache>/models--owner--repo/snapshots/<revision>/<file>` -> "owner/repo/<file>". */
export function hfCacheLabel(root: string, path: string): string | undefined {
  const parts = posix(relative(root, path)).split('/');
  const repoDir = parts.findIndex((p) => p.startsWith('models--'));
  const repoDirName = parts[repoDir];
  if (repoDirName === undefined || parts[repoDir + 1] !== 'snapshots' || parts.length < repoDir + 4) return undefined;
  const repo = repoDirName.slice('models--'.length).split('--').join('/');
  return `${repo}/${stripGguf(parts.slice(repoDir + 3).join('/'))}`;
}

async function ggufFiles(location: ModelLocation, maxDepth: number): Promise<string[]> {
  return walkFiles(location.root, { maxDepth, match: isGguf });
}

async function folderCandidates(location: ModelLocation): Promise<Candidate[]> {
  return (await ggufFiles(location, 6)).map((path) => ({
    source: location.source,
    path,
    label: hfCacheLabel(location.root, path) ?? stripGguf(posix(relative(location.root, path))),
  }));
}

async function hfCandidates(location: ModelLocation): Promise<Candidate[]> {
  return (await ggufFiles(location, 8)).flatMap((path) => {
    const label = hfCacheLabel(location.root, path);
    return label ? [{ source: location.source, path, label }] : [];
  });
}

interface OllamaManifest {
  readonly layers?: readonly { readonly mediaType?: string; readonly digest?: string }[];
}

export const OLLAMA_MODEL_MEDIA_TYPE = 'application/vnd.ollama.image.model';

/** manifests/<host>/<namespace>/<model>/<tag> -> "model:tag", "namespace/model:tag" or "host/namespace/model:tag". */
export function ollamaLabel(host: string, namespace: string, model: string, tag: string): string {
  if (host === 'registry.ollama.ai') return namespace === 'library' ? `${model}:${tag}` : `${namespace}/${model}:${tag}`;
  return `${host}/${namespace}/${model}:${tag}`;
}

async function ollamaCandidates(location: ModelLocation): Promise<Candidate[]> {
  const manifestsRoot = join(location.root, 'manifests');
  const manifests = await walkFiles(manifestsRoot, { maxDepth: 3, match: () => true });
  const out: Candidate[] = [];
  for (const manifest of manifests) {
    const parts = posix(relative(manifestsRoot, manifest)).split('/');
    if (parts.length !== 4) continue;
    let parsed: OllamaManifest;
    try {
      parsed = JSON.parse(await readFile(manifest, 'utf8')) as OllamaManifest;
    } catch {
      continue;
    }
    const digest = parsed.layers?.find((l) => l.mediaType === OLLAMA_MODEL_MEDIA_TYPE)?.digest;
    const m = digest ? /^sha256:([0-9a-f]{64})$/.exec(digest) : null;
    if (!m) continue;
    const [host, namespace, model, tag] = parts as [string, string, string, string]; // four parts, checked above
    out.push({ source: location.source, path: join(location.root, 'blobs', `sha256-${m[1]}`), label: ollamaLabel(host, namespace, model, tag) });
  }
  return out;
}

export function candidatesIn(location: ModelLocation): Promise<Candidate[]> {
  switch (location.source) {
    case 'huggingface':
      return hfCandidates(location);
    case 'ollama':
      return ollamaCandidates(location);
    case 'folder':
    case 'lmstudio':
    case 'llamacpp':
      return folderCandidates(location);
  }
}
