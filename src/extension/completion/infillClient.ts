// POST /infill to llama-server. The reply is untrusted text: anything not of the documented shape reads
// as empty, never as a crash.
import { HeadroomError } from '../common/errors';
import { isRecord } from '../common/isRecord';
import { SseParser } from '../chat/sse';
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

/** One JSON event of the stream (or a whole non-streamed answer); `content` is what came before it. */
export function parseInfill(body: unknown, content = ''): InfillResult {
  const r = isRecord(body) ? body : {};
  const t = isRecord(r.timings) ? r.timings : {};
  return {
    content: content + (typeof r.content === 'string' ? r.content : ''),
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
    const send = (): Promise<Response> =>
      fetch(`${this.server.baseUrl}/infill`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.server.apiKey}` },
        body: JSON.stringify(body),
        signal,
      });
    let response: Response;
    try {
      // A kept-alive connection that llama-server closed while idle fails at once; a second try opens a new one.
      response = await send().catch((err: unknown) => {
        if (signal.aborted) throw err;
        return send();
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const why = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
      throw new HeadroomError(`Could not reach llama-server at ${this.server.baseUrl} for a completion${why}.`, 'Is the model still running?', { cause: err });
    }
    if (!response.ok || !response.body) {
      const text = await response.text();
      if (response.status === 501) throw new InfillUnsupportedError(errorText(text));
      throw new HeadroomError(`llama-server answered HTTP ${response.status} to a completion: ${errorText(text)}`);
    }
    return readStream(response.body);
  }
}

/**
 * The streamed answer, its pieces joined; the last event carries the stop and the timings. Streaming is
 * what makes a cancel free the server at once: llama-server notices the closed connection on its next
 * write, where a plain answer is only checked about once a second.
 */
async function readStream(body: ReadableStream<Uint8Array>): Promise<InfillResult> {
  const parser = new SseParser();
  const reader = body.getReader();
  let result = parseInfill({});
  try {
    for (;;) {
      const { done, value } = await reader.read();
      for (const event of done ? parser.end() : parser.push(value)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(event);
        } catch {
          continue;
        }
        if (isRecord(parsed) && isRecord(parsed.error) && typeof parsed.error.message === 'string') {
          throw new HeadroomError(`llama-server reported an error while completing: ${parsed.error.message}`);
        }
        const next = parseInfill(parsed, result.content);
        result = isRecord(parsed) && parsed.stop === true ? next : { ...result, content: next.content };
      }
      if (done) return result;
    }
  } finally {
    reader.releaseLock();
  }
}
