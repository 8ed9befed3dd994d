/** Line/character positions and ranges as plain data, so edits can be tracked without VS Code. */
export interface Pos {
  line: number;
  character: number;
}

export interface Span {
  start: Pos;
  end: Pos;
}

/** One edit: `range` (before the edit) was replaced by `text`. */
export interface Edit {
  range: Span;
  text: string;
}

function before(a: Pos, b: Pos): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

function notAfter(a: Pos, b: Pos): boolean {
  return !before(b, a);
}

/** Where a position after the edit's range ends up once the edit is applied. */
function shift(p: Pos, edit: Edit): Pos {
  const lines = edit.text.split('\n');
  const endLine = edit.range.start.line + lines.length - 1;
  const lastLine = lines[lines.length - 1]!; // split always returns at least one element
  const endChar = lines.length === 1 ? edit.range.start.character + lastLine.length : lastLine.length;
  if (p.line === edit.range.end.line) return { line: endLine, character: endChar + (p.character - edit.range.end.character) };
  return { line: p.line + (endLine - edit.range.end.line), character: p.character };
}

/**
 * The tracked span after an edit, or 'touched' when the edit changes the span's own text (overlapping it,
 * or inserting inside it). Edits that only touch its edges from outside (typing right before or after it)
 * leave its text alone.
 */
export function trackEdit(span: Span, edit: Edit): Span | 'touched' {
  const { start, end } = edit.range;
  // Entirely after the span (or an insertion at its very end).
  if (notAfter(span.end, start)) return span;
  // Entirely before the span (or an insertion at its very start).
  if (notAfter(end, span.start)) return { start: shift(span.start, edit), end: shift(span.end, edit) };
  return 'touched';
}
