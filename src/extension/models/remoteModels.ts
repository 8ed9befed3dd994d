// A repository's GGUF files as models: split parts grouped, projectors set apart, the quant read
// from the file name (the header, read remotely, says it for sure).
import type { RepoFile } from './hfApi';
import { parseSplitName } from './splitName';

export interface RemoteModel {
  readonly repo: string;
  /** File path without `.gguf` and without the split tail. */
  readonly name: string;
  /** Parts in order; one for most models. */
  readonly files: readonly RepoFile[];
  readonly sizeBytes: number;
  /** From the file name: "Q4_K_M", "IQ4_XS", "F16"... */
  readonly quant?: string;
  readonly projector: boolean;
}

const QUANT = /(?:^|[-_.])((?:IQ|Q|TQ)\d(?:_[A-Z0-9]+)*|BF16|F16|F32|MXFP4)(?=[-_.]|$)/i;

export function quantFromName(path: string): string | undefined {
  const base = path.split('/').pop() ?? path;
  return QUANT.exec(base.replace(/\.gguf$/i, ''))?.[1]?.toUpperCase();
}

export function isProjectorName(path: string): boolean {
  return /mmproj|projector/i.test(path.split('/').pop() ?? path);
}

export function groupGgufFiles(repo: string, files: readonly RepoFile[]): RemoteModel[] {
  const ggufs = files.filter((f) => f.path.toLowerCase().endsWith('.gguf'));
  const out: RemoteModel[] = [];
  const byPath = new Map(ggufs.map((f) => [f.path, f]));
  for (const f of ggufs) {
    const split = parseSplitName(f.path);
    if (split && split.part !== 1) continue;
    let parts: RepoFile[] = [f];
    if (split) {
      const pad = (n: number): string => String(n).padStart(5, '0');
      const all = Array.from({ length: split.count }, (_, i) => byPath.get(`${split.prefix}-${pad(i + 1)}-of-${pad(split.count)}.gguf`));
      if (all.some((p) => !p)) continue; // an incomplete upload
      parts = all.filter((p): p is RepoFile => p !== undefined);
    }
    const name = (split ? split.prefix : f.path.replace(/\.gguf$/i, ''));
    out.push({
      repo,
      name,
      files: parts,
      sizeBytes: parts.reduce((s, p) => s + p.size, 0),
      quant: quantFromName(split ? `${split.prefix}.gguf` : f.path),
      projector: isProjectorName(f.path),
    });
  }
  return out.sort((a, b) => a.sizeBytes - b.sizeBytes);
}

/** `hf:owner/repo`, `hf:owner/repo/path/file.gguf`, `hf:owner/repo:Q4_K_M` (llama.cpp's -hf form), or a URL. */
export type ModelRef =
  | { readonly kind: 'hf'; readonly repo: string; readonly file?: string; readonly quant?: string }
  | { readonly kind: 'url'; readonly url: string };

export function parseModelRef(ref: string): ModelRef | undefined {
  const text = ref.trim();
  if (/^https?:\/\//i.test(text)) {
    try {
      return { kind: 'url', url: new URL(text).toString() };
    } catch {
      return undefined;
    }
  }
  const hf = /^(?:hf:|huggingface:)([\w.-]+\/[\w.-]+?)(?::([\w.-]+))?(?:\/(.+\.gguf))?$/i.exec(text);
  if (!hf) return undefined;
  return { kind: 'hf', repo: hf[1]!, quant: hf[2]?.toUpperCase(), file: hf[3] }; // group 1 is not optional
}

/** The model a ref names inside a listing, or undefined when the ref names the whole repo. */
export function pickRemoteModel(models: readonly RemoteModel[], ref: { readonly file?: string; readonly quant?: string }): RemoteModel | undefined {
  if (ref.file) {
    const file = ref.file;
    return models.find((m) => m.files.some((f) => f.path === file)) ?? models.find((m) => m.name === file.replace(/\.gguf$/i, ''));
  }
  if (ref.quant) return models.find((m) => !m.projector && m.quant === ref.quant);
  return undefined;
}
