import { createHash } from 'node:crypto';
import { HeadroomError } from '../common/errors';

/** The code has been proposed for text that is not there any more: Apply says so instead of guessing. */
export class StaleProposalError extends HeadroomError {
  constructor(what: string, hint = 'Ask again with the current text attached, or copy the code and edit by hand.') {
    super(`${what} changed since the code was proposed, so Apply did not touch it.`, hint);
    this.name = 'StaleProposalError';
  }
}

/** A fingerprint of a text: what Apply remembers of the original between the diff opening and Accept. */
export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Offsets into a document's text: [start, end). */
export interface OffsetRange {
  start: number;
  end: number;
}

/** One replacement in a document, and the whole document as it is after it. */
export interface ProposedEdit {
  range: OffsetRange;
  text: string;
  result: string;
}

/**
 * Apply's edit: `range` (or the whole document) replaced by `code`, written with the document's own line endings.
 * A whole-file replacement keeps whether the file ended with a newline.
 */
export function proposedEdit(document: string, range: OffsetRange | 'whole', code: string): ProposedEdit {
  const eol = document.includes('\r\n') ? '\r\n' : '\n';
  let text = code.replace(/\r?\n/g, eol);
  if (range === 'whole') {
    if (document.endsWith(eol) && !text.endsWith(eol)) text += eol;
    return { range: { start: 0, end: document.length }, text, result: text };
  }
  return { range, text, result: document.slice(0, range.start) + text + document.slice(range.end) };
}

/** Throws StaleProposalError unless `current` is still the text the code was written for. */
export function checkUnchanged(what: string, current: string, expectedHash: string): void {
  if (textHash(current) !== expectedHash) throw new StaleProposalError(what);
}
