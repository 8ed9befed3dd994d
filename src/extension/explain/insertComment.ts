import { commentSyntax } from './languages';

/** Wraps a long line at spaces so a comment stays readable; never breaks a word. */
export function wrapLine(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ +/)) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

/**
 * The explanation as a comment in the file's own syntax, indented like the code it sits above, ending
 * with a newline. Undefined when the language has no comments (JSON, plain text).
 */
export function toComment(text: string, languageId: string, indent: string, width = 100): string | undefined {
  const syntax = commentSyntax(languageId);
  if (!syntax) return undefined;
  const lines = text
    .trim()
    .split(/\r?\n/)
    .flatMap((l) => (/^\s*(```|    )/.test(l) ? [l.trimEnd()] : wrapLine(l.trimEnd(), Math.max(20, width - indent.length))));
  if (syntax.line) {
    const prefix = syntax.line;
    return lines.map((l) => (l ? `${indent}${prefix} ${l}` : `${indent}${prefix}`)).join('\n') + '\n';
  }
  const [open, close] = syntax.block ?? ['', ''];
  // The closing mark inside the text would end the comment early: break it apart.
  const safe = lines.map((l) => l.split(close).join(close.split('').join(' ')));
  return [`${indent}${open}`, ...safe.map((l) => (l ? `${indent}  ${l}` : '')), `${indent}${close}`].join('\n') + '\n';
}
