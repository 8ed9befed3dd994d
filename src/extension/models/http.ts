// GET with redirects followed by hand: Hugging Face answers a resolve URL with a redirect to its
// CDN, and the headers of that first answer (X-Linked-Etag = the file's sha256, X-Linked-Size)
// are the ones worth keeping; the token is dropped when a redirect leaves the original origin.
import { HeadroomError } from '../common/errors';

export type FetchFn = typeof fetch;

export interface HttpOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  readonly fetchImpl?: FetchFn;
  readonly method?: 'GET' | 'HEAD';
}

export interface HttpResult {
  readonly response: Response;
  /** The URL that answered, after redirects. */
  readonly url: string;
  /** X-Linked-Etag from any hop, unquoted (for LFS files on Hugging Face: the sha256). */
  readonly linkedEtag?: string;
  readonly linkedSize?: number;
}

const MAX_REDIRECTS = 10;

const unquote = (v: string): string => v.replace(/^W\//, '').replace(/^"|"$/g, '');

/** The headers to send to `url`: Authorization only to the origin it was given for. */
export function headersFor(url: string, origin: string, headers: Readonly<Record<string, string>>): Record<string, string> {
  if (new URL(url).origin === origin) return { ...headers };
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
}

export async function httpGet(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const origin = new URL(url).origin;
  let current = url;
  let linkedEtag: string | undefined;
  let linkedSize: number | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let response: Response;
    try {
      response = await fetchImpl(current, {
        method: options.method ?? 'GET',
        redirect: 'manual',
        signal: options.signal,
        headers: { 'accept-encoding': 'identity', ...headersFor(current, origin, options.headers ?? {}) },
      });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      throw new HeadroomError(`Could not reach ${new URL(current).host}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}.`, 'Check the network connection or the Hugging Face base URL setting.', { cause: err });
    }
    const etag = response.headers.get('x-linked-etag');
    if (etag) linkedEtag = unquote(etag);
    const size = Number(response.headers.get('x-linked-size') ?? NaN);
    if (Number.isFinite(size)) linkedSize = size;
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return { response, url: current, linkedEtag, linkedSize };
  }
  throw new TooManyRedirectsError(url);
}

/** A redirect loop: trying again would loop again. */
export class TooManyRedirectsError extends HeadroomError {
  constructor(url: string) {
    super(`Too many redirects from ${url}.`);
    this.name = 'TooManyRedirectsError';
  }
}

/** A non-success status the caller does not handle itself. */
export class HttpStatusError extends HeadroomError {
  constructor(
    readonly status: number,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'HttpStatusError';
  }
}

/** HTTP 401 or 403: the repository is private or gated, and a token may open it. */
export class AccessDeniedError extends HttpStatusError {
  constructor(status: number, what: string) {
    super(status, `${what}: access denied (HTTP ${status}); the repository is private or gated.`, 'Accept its license on huggingface.co and set a Hugging Face token (command "Headroom: Set Hugging Face Token...", or HF_TOKEN for the CLI).');
    this.name = 'AccessDeniedError';
  }
}

/** The error for a non-success status, with what to do about it. */
export function statusError(status: number, what: string): HttpStatusError {
  if (status === 401 || status === 403) return new AccessDeniedError(status, what);
  if (status === 404) return new HttpStatusError(status, `${what}: not found (HTTP 404).`, 'Check the repository and file name.');
  if (status === 429) return new HttpStatusError(status, `${what}: rate limited (HTTP 429).`, 'Wait a minute, or set a Hugging Face token.');
  return new HttpStatusError(status, `${what}: HTTP ${status}.`);
}
