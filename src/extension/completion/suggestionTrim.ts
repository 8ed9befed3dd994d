// What of the model's fill is worth showing: not blank, not what the document already has after the
// cursor, one line when the cursor is inside a line.
import { type CursorContext, isMidLine } from './cursorContext';

/** The longest end of `text` that the start of `after` repeats (the model typed what follows the cursor). */
function overlapWithStart(text: string, after: string): number {
  for (let k = Math.min(text.length, after.length); k > 0; k--) {
    if (text.endsWith(after.slice(0, k))) return k;
  }
  return 0;
}

/** The suggestion to show for `raw` at `ctx`, or undefined when nothing of it is worth showing. */
export function trimSuggestion(raw: string, ctx: CursorContext): string | undefined {
  let text = raw.replace(/\r\n/g, '\n');
  if (isMidLine(ctx)) {
    text = (text.split('\n')[0] ?? '').trimEnd();
    text = text.slice(0, text.length - overlapWithStart(text, ctx.lineAfter));
  } else {
    const lines = text.trimEnd().split('\n');
    const next = ctx.linesAfter.find((line) => line.trim() !== '')?.trim();
    // From the first line that repeats the document's next line, the model is retyping what is there.
    const repeat = next === undefined ? -1 : lines.findIndex((line) => line.trim() === next);
    text = (repeat >= 0 ? lines.slice(0, repeat) : lines).join('\n').trimEnd();
  }
  return text.trim() === '' ? undefined : text;
}
