// When the "Explain selection" Code Action is worth a lightbulb: on code, not on prose or logs, and not on a
// selection with nothing to explain. The command itself (menu, palette, keybinding) still explains anything.

/** Documents of prose, data dumps or logs: a lightbulb on every selection there is noise. */
const NOT_CODE = new Set([
  'plaintext', 'markdown', 'log', 'Log', 'output', 'scminput', 'git-commit', 'git-rebase', 'diff', 'csv', 'tsv',
  'restructuredtext', 'asciidoc', 'search-result', 'code-text-binary',
]);

/** Language ids that hold code worth explaining (everything but NOT_CODE). */
export function isCodeLanguage(languageId: string): boolean {
  return !NOT_CODE.has(languageId) && !/(^|-)log$/i.test(languageId);
}

/**
 * A selection worth explaining: not only whitespace, and more than one trivial token: a lone word,
 * number or punctuation run (`x`, `42`, `});`) says nothing the reader does not see. A single token that
 * is a call or a member chain (`foo.bar`, `parse(x)`) has something to look up, so it counts.
 */
export function isExplainableSelection(text: string): boolean {
  const trimmed = text.trim();
  if (trimmed === '') return false;
  if (/^[\p{L}\p{N}_$]+$/u.test(trimmed)) return false;
  if (/^[^\p{L}\p{N}_$]+$/u.test(trimmed)) return false;
  return true;
}

/** Whether to offer the Code Action for this selection of a document in `languageId`. */
export function offerExplain(languageId: string, selectedText: string): boolean {
  return isCodeLanguage(languageId) && isExplainableSelection(selectedText);
}
