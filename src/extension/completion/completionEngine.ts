// One suggestion per pause in typing: a request waits out the debounce, a newer request (or the editor)
// cancels the one before it, down to the HTTP request; a position seen before, or the start of a
// suggestion the user is typing, is answered from the cache without asking the server.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CursorContext } from './cursorContext';
import type { ExtraContext } from './extraContext';
import type { InfillBackend, InfillTimings } from './infillClient';
import { DEFAULT_INFILL_SETTINGS, infillBody, type InfillSettings } from './infillRequest';
import { SuggestionCache } from './suggestionCache';
import { trimSuggestion } from './suggestionTrim';

export interface CompletionEngineOptions {
  /** Quiet time after a keystroke before a request is sent. */
  readonly debounceMs: number;
  readonly infill?: InfillSettings;
  readonly cache?: SuggestionCache;
}

export interface Suggestion {
  readonly text: string;
  readonly fromCache: boolean;
  /** The server's timings, for a suggestion it just made. */
  readonly timings?: InfillTimings;
}

export interface CompletionStats {
  /** Calls of complete(). */
  requested: number;
  /** Answered from the cache. */
  fromCache: number;
  /** Sent to the server. */
  sent: number;
  /** Cancelled while debouncing or in flight. */
  cancelled: number;
  /** Answered by the server with nothing worth showing. */
  empty: number;
}

export class CompletionEngine {
  readonly stats: CompletionStats = { requested: 0, fromCache: 0, sent: 0, cancelled: 0, empty: 0 };
  private readonly cache: SuggestionCache;
  private current: AbortController | undefined;

  constructor(
    private readonly backend: InfillBackend,
    private readonly extra: ExtraContext,
    private readonly options: CompletionEngineOptions,
  ) {
    this.cache = options.cache ?? new SuggestionCache();
  }

  /**
   * The suggestion for `ctx`, or undefined when there is none or the request was cancelled (by `signal`
   * or by a newer call). Errors of the server (InfillUnsupportedError among them) are thrown.
   */
  async complete(ctx: CursorContext, signal?: AbortSignal): Promise<Suggestion | undefined> {
    this.stats.requested++;
    this.current?.abort();
    const own = new AbortController();
    this.current = own;
    const request = signal ? AbortSignal.any([signal, own.signal]) : own.signal;
    const cached = this.cache.get(ctx);
    if (cached) {
      this.stats.fromCache++;
      return { text: cached.text, fromCache: true };
    }
    try {
      await sleep(this.options.debounceMs, undefined, { signal: request });
      this.stats.sent++;
      const window = [...ctx.linesBefore, ctx.lineBefore + ctx.lineAfter, ...ctx.linesAfter].join('\n');
      const body = infillBody(ctx, this.extra.chunks(window), this.options.infill ?? DEFAULT_INFILL_SETTINGS);
      const result = await this.backend.infill(body, request);
      const text = trimSuggestion(result.content, ctx);
      if (text === undefined) {
        this.stats.empty++;
        return undefined;
      }
      this.cache.set(ctx, text);
      return { text, fromCache: false, timings: result.timings };
    } catch (err) {
      if (request.aborted) {
        this.stats.cancelled++;
        return undefined;
      }
      throw err;
    } finally {
      if (this.current === own) this.current = undefined;
    }
  }

  /** Cancels the request in progress, if any (the editor lost focus, completion was turned off). */
  cancel(): void {
    this.current?.abort();
  }
}
