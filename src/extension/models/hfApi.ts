// The two Hugging Face endpoints Headroom uses, with a configurable base URL (tests point it at a
// server on 127.0.0.1):
//   GET {base}/api/models/{owner}/{repo}/tree/{revision}?recursive=true
//     -> [{ "type": "file" | "directory", "path": "x.gguf", "size": 123, "oid": "<git sha1>",
//           "lfs": { "oid": "<sha256 of the content>", "size": 123, "pointerSize": 134 } }, ...]
//        paginated with a `Link: <next-url>; rel="next"` header.
//   GET {base}/{owner}/{repo}/resolve/{revision}/{path}
//     -> the file, usually after a 302 to a CDN; the redirect carries X-Linked-Etag (sha256) and X-Linked-Size.
// The tree endpoint was picked over /api/models/{repo}?blobs=true because it names the sha256 of
// each LFS file, which the download is checked against.
import { HeadroomError } from '../common/errors';
import { type FetchFn, httpGet, statusError } from './http';

export const DEFAULT_HF_BASE_URL = 'https://huggingface.co';

export interface HfConfig {
  readonly baseUrl?: string;
  /** A Hugging Face access token, sent as `Authorization: Bearer`, for private and gated repos. */
  readonly token?: string;
  readonly revision?: string;
  readonly fetchImpl?: FetchFn;
}

export interface RepoFile {
  readonly path: string;
  readonly size: number;
  /** sha256 of the content, for files stored in LFS (every GGUF on the Hub). */
  readonly sha256?: string;
}

interface TreeEntry {
  readonly type?: string;
  readonly path?: string;
  readonly size?: number;
  readonly lfs?: { readonly oid?: string; readonly size?: number };
}

const REPO = /^[\w.-]+\/[\w.-]+$/;

export function assertRepoId(repo: string): void {
  if (!REPO.test(repo)) throw new HeadroomError(`"${repo}" is not a Hugging Face repository id.`, 'Write it as owner/name, e.g. hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF.');
}

const base = (config: HfConfig): string => (config.baseUrl ?? DEFAULT_HF_BASE_URL).replace(/\/+$/, '');
const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

export function authHeaders(config: HfConfig): Record<string, string> {
  return config.token ? { authorization: `Bearer ${config.token}` } : {};
}

export function resolveUrl(repo: string, file: string, config: HfConfig = {}): string {
  return `${base(config)}/${repo}/resolve/${encodeURIComponent(config.revision ?? 'main')}/${encodePath(file)}`;
}

function nextLink(link: string | null, current: string): string | undefined {
  const target = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
  return target ? new URL(target, current).toString() : undefined;
}

export async function listRepoFiles(repo: string, config: HfConfig = {}, signal?: AbortSignal): Promise<RepoFile[]> {
  assertRepoId(repo);
  const files: RepoFile[] = [];
  let url: string | undefined = `${base(config)}/api/models/${repo}/tree/${encodeURIComponent(config.revision ?? 'main')}?recursive=true`;
  for (let page = 0; url && page < 100; page++) {
    const { response } = await httpGet(url, { headers: authHeaders(config), signal, fetchImpl: config.fetchImpl });
    if (!response.ok) {
      await response.body?.cancel();
      throw statusError(response.status, `Listing ${repo}`);
    }
    const entries = (await response.json()) as unknown;
    if (!Array.isArray(entries)) throw new HeadroomError(`Listing ${repo}: unexpected answer from ${base(config)} (not a file list).`);
    for (const e of entries as TreeEntry[]) {
      if (e.type !== 'file' || typeof e.path !== 'string') continue;
      const sha = e.lfs?.oid && /^[0-9a-f]{64}$/.test(e.lfs.oid) ? e.lfs.oid : undefined;
      files.push({ path: e.path, size: e.lfs?.size ?? e.size ?? 0, sha256: sha });
    }
    url = nextLink(response.headers.get('link'), url);
  }
  return files;
}
