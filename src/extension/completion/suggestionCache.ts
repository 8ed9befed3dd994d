// Suggestions by cursor context, so coming back to a position (undo, moving back) shows the same one at
// once, and typing the first characters of a suggestion keeps showing the rest of it without a request.
import { createHash } from 'node:crypto';
import type { CursorContext } from './cursorContext';

/** How far back on the line a typed-ahead suggestion is looked for. */
const TYPED_AHEAD_CHARS = 64;

export interface CachedSuggestion {
  readonly text: string;
  /** The user typed this much of an earlier suggestion at a position before this one. */
  readonly typedAhead: number;
}

function keyOf(ctx: CursorContext, lineBefore: string): string {
  const hash = createHash('sha256');
  for (const part of [ctx.fileName, ...ctx.linesBefore, lineBefore, ctx.lineAfter, ...ctx.linesAfter]) hash.update(part).update('\0');
  return hash.digest('base64');
}

export class SuggestionCache {
  /** Map order is insertion order: the first key is the least recently used. */
  private readonly entries = new Map<string, string>();

  constructor(private readonly capacity = 256) {}

  set(ctx: CursorContext, suggestion: string): void {
    const key = keyOf(ctx, ctx.lineBefore);
    this.entries.delete(key);
    this.entries.set(key, suggestion);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  get(ctx: CursorContext): CachedSuggestion | undefined {
    const exact = this.touch(keyOf(ctx, ctx.lineBefore));
    if (exact !== undefined) return { text: exact, typedAhead: 0 };
    const limit = Math.min(ctx.lineBefore.length, TYPED_AHEAD_CHARS);
    for (let typed = 1; typed <= limit; typed++) {
      const earlier = this.touch(keyOf(ctx, ctx.lineBefore.slice(0, -typed)));
      const typedText = ctx.lineBefore.slice(-typed);
      if (earlier !== undefined && earlier.startsWith(typedText) && earlier.length > typed) {
        return { text: earlier.slice(typed), typedAhead: typed };
      }
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  private touch(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
}
