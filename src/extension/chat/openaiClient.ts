import { HeadroomError } from '../common/errors';
import { ReplyInterruptedError, secondsText, type ReplyWatch } from './replyWatch';
import { SseParser } from './sse';
import type { ChatBackend, ChatRequest, Delta, ServerTimings } from './types';
import { isRecord } from '../common/isRecord';

export interface OpenAiClientOptions {
  baseUrl: string;
  /** Sent as Bearer; an empty key sends no Authorization header (a server without keys may refuse an empty one). */
  apiKey: string;
  /** Model name sent in requests; llama-server serves one model and ignores it. */
  model?: string;
  /** The server's stall watch: told of every chunk; a stall it declares ends the reply interrupted. */
  watch?: ReplyWatch;
  /**
   * Once the first token has arrived, a silence between chunks longer than this ends the reply interrupted
   * (0: never). Before the first token, reading a long prompt can be silent for minutes; there only the
   * watch, which also asks /health, can tell a busy server from a stalled one. Default: twice the watch's
   * stall timeout (so the watch, which restarts the server, speaks first), or 2 minutes without a watch.
   */
  idleTimeoutMs?: number;
}

/** The request got no answer at all (refused, reset, TLS...): `cause` holds Node's error and its code. */
export class ChatConnectionError extends HeadroomError {
  constructor(readonly baseUrl: string, cause: unknown) {
    super(`Could not reach llama-server at ${baseUrl}.`, 'Is the model still running?', { cause });
    this.name = 'ChatConnectionError';
  }
}

/** The server answered the request with a non-success status; `detail` is its own error text. */
export class ChatHttpError extends HeadroomError {
  constructor(readonly status: number, readonly detail: string) {
    super(`llama-server answered HTTP ${status}: ${detail}`);
    this.name = 'ChatHttpError';
  }
}

const IDLE_TIMEOUT_WITHOUT_WATCH_MS = 120_000;

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export function parseTimings(v: unknown): ServerTimings | undefined {
  if (!isRecord(v)) return undefined;
  return {
    promptTokens: num(v.prompt_n),
    promptMs: num(v.prompt_ms),
    promptPerSecond: num(v.prompt_per_second),
    predictedTokens: num(v.predicted_n),
    predictedMs: num(v.predicted_ms),
    predictedPerSecond: num(v.predicted_per_second),
  };
}

function serverError(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body.error;
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error.message === 'string') return error.message;
  return undefined;
}

/**
 * Turns one SSE event of /v1/chat/completions into deltas. The reply is untrusted: anything that is
 * not the documented shape is skipped, never thrown into the caller as a crash.
 */
export function eventToDeltas(event: string): Delta[] | 'end' {
  if (event.trim() === '[DONE]') return 'end';
  let body: unknown;
  try {
    body = JSON.parse(event);
  } catch {
    return [];
  }
  const error = serverError(body);
  if (error !== undefined) throw new HeadroomError(`llama-server reported an error while replying: ${error}`);
  if (!isRecord(body)) return [];
  const deltas: Delta[] = [];
  const choices = body.choices;
  const choice: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (isRecord(choice)) {
    const delta = choice.delta;
    if (isRecord(delta) && typeof delta.content === 'string' && delta.content !== '') {
      deltas.push({ kind: 'text', text: delta.content });
    }
    if (typeof choice.finish_reason === 'string') {
      deltas.push({ kind: 'done', finishReason: choice.finish_reason, timings: parseTimings(body.timings) });
    }
  }
  return deltas;
}

/** OpenAI-compatible streaming chat client for llama-server. */
export class OpenAiClient implements ChatBackend {
  constructor(private readonly options: OpenAiClientOptions) {}

  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta> {
    const { watch } = this.options;
    const idleMs = this.options.idleTimeoutMs ?? (watch ? 2 * watch.stallTimeoutMs : IDLE_TIMEOUT_WITHOUT_WATCH_MS);
    // One signal for the request: the caller's stop, or an interruption seen here (stall, silence).
    const abort = new AbortController();
    let interrupted: ReplyInterruptedError | undefined;
    const interrupt = (err: ReplyInterruptedError): void => {
      interrupted ??= err;
      abort.abort(err);
    };
    const onCallerAbort = (): void => abort.abort(signal?.reason);
    if (signal?.aborted) onCallerAbort();
    else signal?.addEventListener('abort', onCallerAbort, { once: true });
    const stall = watch?.onStall((message) => interrupt(new ReplyInterruptedError(message)));
    let idle: NodeJS.Timeout | undefined;
    const armIdle = (): void => {
      if (idleMs <= 0) return;
      clearTimeout(idle);
      const silence = secondsText(idleMs);
      idle = setTimeout(() => interrupt(new ReplyInterruptedError(`llama-server sent nothing for ${silence} in the middle of the reply; gave up waiting.`)), idleMs);
    };
    try {
      yield* this.read(request, abort.signal, () => {
        watch?.activity();
        if (idle) armIdle();
      }, armIdle);
    } catch (err) {
      // The caller's own stop wins; else an interruption seen here explains whatever the request threw.
      throw interrupted && !signal?.aborted ? interrupted : err;
    } finally {
      clearTimeout(idle);
      stall?.dispose();
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  /** The request itself: `onChunk` for every chunk read, `onFirstToken` once the first text arrives. */
  private async *read(request: ChatRequest, signal: AbortSignal, onChunk: () => void, onFirstToken: () => void): AsyncIterable<Delta> {
    const body = {
      model: this.options.model ?? 'local',
      messages: request.messages,
      stream: true,
      temperature: request.temperature,
      max_tokens: request.maxTokens,
      seed: request.seed,
      timings_per_token: false,
    };
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new ChatConnectionError(this.options.baseUrl, err);
    }
    if (!response.ok || !response.body) {
      const text = await response.text().catch(() => '');
      let detail = text.slice(0, 500);
      try {
        detail = serverError(JSON.parse(text)) ?? detail;
      } catch {
        // not JSON: keep the raw text
      }
      throw new ChatHttpError(response.status, detail);
    }
    const parser = new SseParser();
    let finished = false;
    let tokens = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (!done) onChunk();
        const events = done ? parser.end() : parser.push(value);
        for (const event of events) {
          const deltas = eventToDeltas(event);
          if (deltas === 'end') return;
          for (const delta of deltas) {
            if (delta.kind === 'done') finished = true;
            else if (tokens++ === 0) onFirstToken();
            yield delta;
          }
        }
        if (done) break;
      }
    } finally {
      reader.releaseLock();
      if (!finished && !signal.aborted) response.body.cancel().catch(() => undefined);
    }
    if (!finished) throw new HeadroomError('The reply ended before llama-server finished it (the server may have stopped).');
  }
}
