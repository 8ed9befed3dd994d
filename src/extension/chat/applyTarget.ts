import { HeadroomError } from '../common/errors';
import { fencePath, type CodeSource } from './codeFences';
import type { Attachment, AttachmentOrigin } from './entries';

/**
 * Where "Apply" puts a code block, decided without the editor: the file its fence names, else the selection
 * attached to the question it answers, else the active file when the block is most of it, else the active
 * editor's selection.
 */
export type ApplyTarget =
  /** A whole file named by the fence (relative to the workspace, or absolute). */
  | { kind: 'namedFile'; path: string }
  /** The range an attachment was taken from; `original` is its text then. */
  | { kind: 'attachedRange'; origin: AttachmentOrigin; original: string; label: string }
  | { kind: 'activeFile' }
  | { kind: 'activeSelection' };

/** The active editor as Apply sees it. */
export interface ActiveEditorText {
  uri: string;
  text: string;
  selectionEmpty: boolean;
}

/** A block covering at least this share of the active file's lines is taken as a new version of the whole file. */
export const WHOLE_FILE_SHARE = 0.6;

export class NoApplyTargetError extends HeadroomError {
  constructor() {
    super('Apply does not know where this code goes.', 'Select the lines it replaces in an editor, or attach them to your question, then press Apply again.');
    this.name = 'NoApplyTargetError';
  }
}

export function chooseApplyTarget(code: string, source: CodeSource | undefined, active: ActiveEditorText | undefined): ApplyTarget {
  const named = source && fencePath(source.info);
  if (named) return { kind: 'namedFile', path: named };
  const attached = bestAttachedRange(code, source?.attachments ?? []);
  if (attached?.origin) return { kind: 'attachedRange', origin: attached.origin, original: attached.text, label: attached.label };
  if (active && active.selectionEmpty && lineShare(active.text, code) >= WHOLE_FILE_SHARE) return { kind: 'activeFile' };
  if (active && !active.selectionEmpty) return { kind: 'activeSelection' };
  throw new NoApplyTargetError();
}

/** The attached selection the block resembles most (a file attachment is a whole-file target, checked by its text). */
function bestAttachedRange(code: string, attachments: readonly Attachment[]): Attachment | undefined {
  let best: Attachment | undefined;
  let bestShare = -1;
  for (const a of attachments) {
    if (!a.origin || a.kind === 'diagnostics') continue;
    const share = lineShare(a.text, code);
    if (a.kind === 'file' && share < WHOLE_FILE_SHARE) continue;
    if (share > bestShare) {
      best = a;
      bestShare = share;
    }
  }
  return best;
}

/** The share of `original`'s non-blank lines (trimmed) that `code` still has, each line counted once per occurrence. */
export function lineShare(original: string, code: string): number {
  const lines = (text: string) => text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const wanted = lines(original);
  if (wanted.length === 0) return 0;
  const have = new Map<string, number>();
  for (const l of lines(code)) have.set(l, (have.get(l) ?? 0) + 1);
  let kept = 0;
  for (const l of wanted) {
    const n = have.get(l) ?? 0;
    if (n > 0) {
      kept++;
      have.set(l, n - 1);
    }
  }
  return kept / wanted.length;
}
