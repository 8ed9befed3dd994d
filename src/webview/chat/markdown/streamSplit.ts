/**
 * Where a streaming reply can be cut so that the part before the cut never needs rendering again: the
 * end of the last blank line that is outside any code fence. Markdown blocks do not span such a line
 * (a loose list continued after it renders as a second list with the right start number, which is why
 * the finished reply is rendered once more as a whole).
 */
export function stableBoundary(text: string): number {
  let boundary = 0;
  let fence: { char: string; length: number } | null = null;
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    if (newline === -1) break; // the last line is still being written
    const line = text.slice(lineStart, newline);
    const next = newline + 1;
    // run: the backticks or tildes of a fence line; info: the rest of the line.
    const [, run, info = ''] = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line) ?? [];
    if (fence) {
      if (run?.[0] === fence.char && run.length >= fence.length && info.trim() === '') fence = null;
    } else if (run !== undefined && !(run[0] === '`' && info.includes('`'))) {
      fence = { char: run.charAt(0), length: run.length };
    } else if (line.trim() === '') {
      // A blank line followed by an indented line may continue an indented code block or a list item;
      // until enough of the next line has arrived to tell, the cut stays where it was.
      const ahead = text.slice(next, next + 4);
      const decided = ahead.length === 4 || ahead.includes('\n');
      if (decided && !/^( {1,4}|\t)/.test(ahead)) boundary = next;
    }
    lineStart = next;
  }
  return boundary;
}

/**
 * Cuts finished text into pieces of about `targetChars` at stable boundaries (never inside a code fence),
 * so a long reply can be rendered a piece at a time. Returns the end offset of each piece; the last is
 * text.length. A piece runs longer than the target when no boundary comes sooner (a long code block).
 */
export function stableCuts(text: string, targetChars: number): number[] {
  const cuts: number[] = [];
  let start = 0;
  while (text.length - start > targetChars) {
    let end = start + targetChars;
    let cut = stableBoundary(text.slice(0, end));
    while (cut <= start && end < text.length) {
      end = Math.min(text.length, end + targetChars);
      cut = end === text.length ? text.length : stableBoundary(text.slice(0, end));
    }
    if (cut <= start || cut >= text.length) break;
    cuts.push(cut);
    start = cut;
  }
  cuts.push(text.length);
  return cuts;
}
