// POST /infill to llama-server. The reply is untrusted text: anything not of the documented shape reads
// as empty, never as a crash.
import { HeadroomError } from '../common/errors';
import { isRecord } from '../common/isRecord';
import type { InfillBody } from './infillRequest';

export interface InfillTimings {
  /** Prompt tokens reused from the server's cache. */
  readonly cachedTokens: number;
  /** Prompt tokens evaluated for this request. */
  readonly promptTokens: number;
  readonly promptMs: number;
  readonly predictedTokens: number;
  readonly predictedMs: number;
}

export interface InfillResult {
  readonly content: string;
  /** 'eos', 'limit', 'word' (a stop string), or 'none'. */
  readonly stopType: string;
  readonly timings: InfillTimings;
}

export interface InfillBackend {
  infill(body: InfillBody, signal: AbortSignal): Promise<InfillResult>;
}

/** The running model has no fill-in-the-middle tokens: llama-server's /infill answered 501. */
export class InfillUnsupportedError extends HeadroomError {
  constructor(detail: string) {
    super(`The model cannot fill in the middle: ${detail}`);
    this.name = 'InfillUnsupportedError';
  }
}

export interface InfillServer {
  readonly baseUrl: string;
  readonly apiKey: string;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

export function parseInfill(body: unknown): InfillResult {
  const r = isRecord(body) ? body : {};
  const t = isRecord(r.timings) ? r.timings : {};
  return {
    content: typeof r.content === 'string' ? r.content : '',
    stopType: typeof r.stop_type === 'string' ? r.stop_type : 'none',
    timings: {
      cachedTokens: num(t.cache_n),
      promptTokens: num(t.prompt_n),
      promptMs: num(t.prompt_ms),
      predictedTokens: num(t.predicted_n),
      predictedMs: num(t.predicted_ms),
    },
  };
}

function errorText(text: string): string {
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body) && isRecord(body.error) && typeof body.error.message === 'string') return body.error.message;
  } catch {
    // not JSON: the raw text says it
  }
  return text.slice(0, 300);
}

export class InfillClient implements InfillBackend {
  constructor(private readonly server: InfillServer) {}

  async infill(body: InfillBody, signal: AbortSignal): Promise<InfillResult> {
    let response: Response;
    try {
      response = await fetch(`${this.server.baseUrl}/infill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.server.apiKey}` },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new HeadroomError(`Could not reach llama-server at ${this.server.baseUrl} for a completion.`, 'Is the model still running?', { cause: err });
    }
    const text = await response.text();
    if (response.status === 501) throw new InfillUnsupportedError(errorText(text));
    if (!response.ok) throw new HeadroomError(`llama-server answered HTTP ${response.status} to a completion: ${errorText(text)}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new HeadroomError('llama-server sent a completion that is not JSON.', undefined, { cause: err });
    }
    return parseInfill(parsed);
  }
}
