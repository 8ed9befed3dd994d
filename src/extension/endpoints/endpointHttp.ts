import type { Endpoint } from './endpoint';
import { connectionFailure, EndpointBadAnswerError, errorDetail, statusFailure } from './endpointErrors';

export interface RequestOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** POST this as JSON; GET without it. */
  readonly body?: unknown;
  /** The model the request names: a 404 then means "no such model". */
  readonly model?: string;
}

/** Authorization only when there is a key: some servers refuse an empty Bearer. */
export function endpointHeaders(endpoint: Endpoint): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {}),
  };
}

/** One JSON request to a foreign server; every failure (connection, status, body that is not JSON) as a typed EndpointError. */
export async function requestJson(endpoint: Endpoint, path: string, options: RequestOptions): Promise<unknown> {
  const url = endpoint.baseUrl;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(`${url}${path}`, {
      method: options.body === undefined ? 'GET' : 'POST',
      headers: endpointHeaders(endpoint),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal,
    });
    const text = await response.text();
    if (!response.ok) throw statusFailure(url, path, response.status, errorDetail(text), { hadKey: Boolean(endpoint.apiKey), model: options.model });
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new EndpointBadAnswerError(url, path, 'not JSON');
    }
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw connectionFailure(url, err, options.timeoutMs);
  }
}
