// A foreign server's failures, one typed error and one sentence each. They are told apart by the HTTP
// status and by the error code Node puts on a failed connection (never by message text).
import { HeadroomError } from '../common/errors';
import { isRecord } from '../common/isRecord';

/** Any failure talking to an endpoint; `url` is the base URL (never with the key). */
export class EndpointError extends HeadroomError {
  constructor(
    readonly url: string,
    message: string,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, hint, options);
    this.name = 'EndpointError';
  }
}

/** 401/403: no key, or the wrong one. */
export class EndpointAuthError extends EndpointError {
  constructor(url: string, readonly status: number, hadKey: boolean) {
    super(
      url,
      hadKey ? `${url} refused the API key (HTTP ${status}).` : `${url} needs an API key (HTTP ${status}).`,
      'Give the right key: "Headroom: Use a Running Server..." asks for it, the CLI reads it from the variable named by --api-key-env.',
    );
    this.name = 'EndpointAuthError';
  }
}

/** 404 for a request that named a model: the server does not have it. */
export class EndpointModelNotFoundError extends EndpointError {
  constructor(url: string, readonly model: string) {
    super(url, `${url} has no model "${model}" (HTTP 404).`, 'Pick one of the models it lists ("headroom endpoints" shows them).');
    this.name = 'EndpointModelNotFoundError';
  }
}

/** 404 for a path: probably not an OpenAI-compatible server (or the URL has a wrong path). */
export class EndpointPathNotFoundError extends EndpointError {
  constructor(url: string, readonly path: string) {
    super(url, `${url} has no ${path} (HTTP 404): it does not look like an OpenAI-compatible server.`, 'Check the URL: give the base URL, e.g. http://host:port or http://host:port/v1.');
    this.name = 'EndpointPathNotFoundError';
  }
}

/** ECONNREFUSED: nothing listens there. */
export class EndpointRefusedError extends EndpointError {
  constructor(url: string, cause: unknown) {
    super(url, `Nothing is listening at ${url} (connection refused).`, 'Is the server running, on that port?', { cause });
    this.name = 'EndpointRefusedError';
  }
}

/** No answer in time. */
export class EndpointTimeoutError extends EndpointError {
  constructor(url: string, readonly timeoutMs: number, cause?: unknown) {
    super(url, `${url} did not answer within ${(timeoutMs / 1000).toLocaleString('en-US')} s.`, 'Is the server busy or stuck? Try again, or check it.', { cause });
    this.name = 'EndpointTimeoutError';
  }
}

export type TlsProblem = 'self-signed' | 'untrusted' | 'wrong-host' | 'expired' | 'other';

const TLS_SENTENCE: Readonly<Record<TlsProblem, string>> = {
  'self-signed': 'its TLS certificate is self-signed, so it cannot be trusted',
  untrusted: 'its TLS certificate is not signed by a trusted authority',
  'wrong-host': 'its TLS certificate is for another host name',
  expired: 'its TLS certificate has expired or is not valid yet',
  other: 'the TLS connection failed',
};

/** An https endpoint whose certificate Node does not accept. */
export class EndpointTlsError extends EndpointError {
  constructor(url: string, readonly problem: TlsProblem, cause: unknown) {
    super(
      url,
      `${url}: ${TLS_SENTENCE[problem]}.`,
      problem === 'wrong-host' ? 'Use the host name the certificate was issued for.' : 'Trust its CA with the NODE_EXTRA_CA_CERTS environment variable, or fix the certificate.',
      { cause },
    );
    this.name = 'EndpointTlsError';
  }
}

/** 5xx: the server failed at its end. */
export class EndpointServerError extends EndpointError {
  constructor(url: string, readonly status: number, detail: string) {
    super(url, `${url} failed at its end (HTTP ${status})${detail ? `: ${detail}` : '.'}`, 'Check the server\'s own log.');
    this.name = 'EndpointServerError';
  }
}

/** Any other non-success status. */
export class EndpointHttpError extends EndpointError {
  constructor(url: string, readonly status: number, detail: string) {
    super(url, `${url} answered HTTP ${status}${detail ? `: ${detail}` : '.'}`);
    this.name = 'EndpointHttpError';
  }
}

/** Answered 200, but not with the JSON its kind of server documents. */
export class EndpointBadAnswerError extends EndpointError {
  constructor(url: string, readonly path: string, what: string) {
    super(url, `${url}${path} answered, but not with what an OpenAI-compatible server sends (${what}).`, 'Check that the URL points at the server\'s API.');
    this.name = 'EndpointBadAnswerError';
  }
}

/** Any other failure to connect (DNS, reset, ...). */
export class EndpointUnreachableError extends EndpointError {
  constructor(url: string, code: string | undefined, cause: unknown) {
    super(url, `Could not reach ${url}${code ? ` (${code})` : ''}.`, 'Check the URL and the network.', { cause });
    this.name = 'EndpointUnreachableError';
  }
}

const TLS_CODES: Readonly<Record<string, TlsProblem>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted',
  CERT_UNTRUSTED: 'untrusted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong-host',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'expired',
  EPROTO: 'other',
  ERR_SSL_WRONG_VERSION_NUMBER: 'other',
};

/** The code Node (or undici) put on a failed request, searched down its causes. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) || e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    if (depth > 5) break;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

/** The typed error for a request that threw before any answer (fetch rejected). */
export function connectionFailure(url: string, err: unknown, timeoutMs: number): EndpointError {
  if (err instanceof EndpointError) return err;
  if (isTimeout(err)) return new EndpointTimeoutError(url, timeoutMs, err);
  const code = errorCode(err);
  if (code === 'ECONNREFUSED') return new EndpointRefusedError(url, err);
  const tls = code === undefined ? undefined : TLS_CODES[code];
  if (tls) return new EndpointTlsError(url, tls, err);
  return new EndpointUnreachableError(url, code, err);
}

/** The typed error for a non-success status; `detail` is the server's own error text, if any. */
export function statusFailure(url: string, path: string, status: number, detail: string, request: { hadKey: boolean; model?: string }): EndpointError {
  if (status === 401 || status === 403) return new EndpointAuthError(url, status, request.hadKey);
  if (status === 404) return request.model !== undefined ? new EndpointModelNotFoundError(url, request.model) : new EndpointPathNotFoundError(url, path);
  if (status >= 500) return new EndpointServerError(url, status, detail);
  return new EndpointHttpError(url, status, detail);
}

/** The error text in an OpenAI-style error body ({error: "..."} or {error: {message}}), cut to one line. */
export function errorDetail(text: string): string {
  let detail = text;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      const e = body.error;
      if (typeof e === 'string') detail = e;
      else if (isRecord(e) && typeof e.message === 'string') detail = e.message;
    }
  } catch {
    // not JSON: the raw text
  }
  return detail.replace(/\s+/g, ' ').trim().slice(0, 200);
}
