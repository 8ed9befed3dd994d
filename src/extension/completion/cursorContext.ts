// What the editor hands the completion core: the text on both sides of the cursor, in lines.

export interface CursorContext {
  /** The document's path or name, for the model's file separator and the extra context. */
  readonly fileName: string;
  /** Whole lines above the cursor's line, nearest last (the window the settings allow). */
  readonly linesBefore: readonly string[];
  /** The cursor's line up to the cursor. */
  readonly lineBefore: string;
  /** The cursor's line after the cursor. */
  readonly lineAfter: string;
  /** Whole lines below the cursor's line, nearest first. */
  readonly linesAfter: readonly string[];
}

/** The lines of `text` around a cursor at (`line`, `character`), `before` lines above and `after` below. */
export function cursorContextOf(fileName: string, text: string, line: number, character: number, before: number, after: number): CursorContext {
  const lines = text.split(/\r?\n/);
  const current = lines[line] ?? '';
  return {
    fileName,
    linesBefore: lines.slice(Math.max(0, line - before), line),
    lineBefore: current.slice(0, character),
    lineAfter: current.slice(character),
    linesAfter: lines.slice(line + 1, line + 1 + after),
  };
}

/** The cursor is inside a line's text (not at its end): only the rest of this line is worth suggesting. */
export function isMidLine(ctx: CursorContext): boolean {
  return ctx.lineAfter.trim() !== '';
}
