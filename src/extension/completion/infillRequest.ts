// The body of llama-server's /infill for a cursor (tools/server/README.md, "POST /infill"). The server
// lays it out as [extra chunks][FIM_PRE]input_prefix prompt[FIM_SUF]input_suffix[FIM_MID]; keeping the
// cursor's own line in `prompt` leaves everything before it unchanged while the user types, so
// `cache_prompt` reuses the evaluated prefix and only the new characters are read again.
import { type CursorContext, isMidLine } from './cursorContext';
import type { ExtraChunk } from './extraContext';

export interface InfillSettings {
  /** Most tokens one suggestion may have. */
  readonly maxTokens: number;
  /** Generation stops after this long once a line is complete (the server's t_max_predict_ms). */
  readonly maxPredictMs: number;
}

export const DEFAULT_INFILL_SETTINGS: InfillSettings = { maxTokens: 128, maxPredictMs: 1000 };

export interface InfillBody {
  readonly input_prefix: string;
  readonly input_suffix: string;
  readonly input_extra: readonly ExtraChunk[];
  readonly prompt: string;
  readonly n_predict: number;
  readonly n_indent: number;
  readonly t_max_predict_ms: number;
  readonly cache_prompt: true;
  readonly stream: true;
  readonly samplers: readonly string[];
  readonly top_k: number;
  readonly top_p: number;
  readonly stop?: readonly string[];
  readonly response_fields: readonly string[];
}

/** Leading whitespace of a line, in characters (the server's n_indent counts characters too). */
export function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

export function infillBody(ctx: CursorContext, extra: readonly ExtraChunk[], settings: InfillSettings = DEFAULT_INFILL_SETTINGS): InfillBody {
  const midLine = isMidLine(ctx);
  const joined = (lines: readonly string[]): string => (lines.length ? `${lines.join('\n')}\n` : '');
  return {
    input_prefix: joined(ctx.linesBefore),
    prompt: ctx.lineBefore,
    input_suffix: `${ctx.lineAfter}\n${joined(ctx.linesAfter)}`,
    input_extra: extra,
    n_predict: settings.maxTokens,
    // Lines indented less than the cursor's line end the block being written: the server stops there.
    n_indent: indentOf(ctx.lineBefore),
    t_max_predict_ms: settings.maxPredictMs,
    cache_prompt: true,
    stream: true,
    // The infill sampler weighs end-of-generation against the rest, so short fills end on their own.
    samplers: ['top_k', 'top_p', 'infill'],
    top_k: 40,
    top_p: 0.99,
    ...(midLine ? { stop: ['\n'] } : {}),
    response_fields: ['content', 'stop', 'stop_type', 'tokens_cached', 'truncated', 'timings'],
  };
}
