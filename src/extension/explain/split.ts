import type { Part } from './prompt';

/** Splits one over-long line at spaces (or anywhere, if it has none) into pieces of at most `maxChars`. */
function splitLongLine(line: string, maxChars: number): string[] {
  const out: string[] = [];
  let rest = line;
  while (rest.length > maxChars) {
    let cut = rest.lastIndexOf(' ', maxChars);
    if (cut <= 0) cut = maxChars;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

/**
 * Packs the code's lines, in order, into parts of at most `maxChars` characters each, breaking only at
 * line ends unless one line alone is longer. Every character of the code is in exactly one part: joining
 * the parts' code with '\n' (or, for a broken line, with '') gives the code back.
 */
export function splitByLines(code: string, startLine: number, maxChars: number): Part[] {
  const limit = Math.max(1, Math.floor(maxChars));
  const parts: Part[] = [];
  let current: string[] = [];
  let size = 0;
  let first = startLine;
  const flush = (last: number): void => {
    if (current.length) parts.push({ code: current.join('\n'), startLine: first, endLine: last });
    current = [];
    size = 0;
  };
  code.split('\n').forEach((line, i) => {
    const n = startLine + i;
    if (line.length > limit) {
      flush(n - 1);
      for (const piece of splitLongLine(line, limit)) parts.push({ code: piece, startLine: n, endLine: n });
      first = n + 1;
      return;
    }
    if (current.length && size + 1 + line.length > limit) {
      flush(n - 1);
      first = n;
    }
    if (!current.length) first = n;
    current.push(line);
    size += (current.length > 1 ? 1 : 0) + line.length;
  });
  flush(startLine + code.split('\n').length - 1);
  return parts;
}

/** Halves a part (by lines when it has several, else by characters). */
export function halve(part: Part): [Part, Part] {
  const lines = part.code.split('\n');
  if (lines.length > 1) {
    const mid = Math.ceil(lines.length / 2);
    return [
      { code: lines.slice(0, mid).join('\n'), startLine: part.startLine, endLine: part.startLine + mid - 1 },
      { code: lines.slice(mid).join('\n'), startLine: part.startLine + mid, endLine: part.endLine },
    ];
  }
  const mid = Math.ceil(part.code.length / 2);
  return [
    { ...part, code: part.code.slice(0, mid) },
    { ...part, code: part.code.slice(mid) },
  ];
}
