// The one check of tokenizer.ggml.tokens that needs every item: the array is read item by item (it is
// usually too long to keep), and each item is fed here. See semantics.ts for the other model-level checks.
import { GgufFormatError } from './ggufErrors';
import type { GgufScalar } from './metadata';

export const TOKEN_LIST_KEY = 'tokenizer.ggml.tokens';
/** One llama_token_type per token; kept in full by the reader, however long. */
export const TOKEN_TYPE_KEY = 'tokenizer.ggml.token_type';

/** A value for a message: strings quoted and cut short, non-finite numbers named. */
export function shown(value: GgufScalar): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

/**
 * llama.cpp maps token text to id and asserts every text is distinct; it renames an empty token i to
 * "[EMPTY_i]" first, so that name can collide too.
 */
export class TokenListCheck {
  private readonly seen = new Map<string, number>();

  /** `latin1`: the token's bytes, one char per byte, so equal strings are equal bytes. */
  add(latin1: string, index: number, offset: number): void {
    const text = latin1.length === 0 ? `[EMPTY_${index}]` : latin1;
    const first = this.seen.get(text);
    if (first !== undefined) {
      const token = shown(Buffer.from(text, 'latin1').toString('utf8'));
      throw new GgufFormatError(
        TOKEN_LIST_KEY,
        offset,
        `${TOKEN_LIST_KEY}: token ${index} ${token} repeats token ${first}; llama.cpp aborts on a vocabulary with duplicate tokens`,
      );
    }
    this.seen.set(text, index);
  }
}
