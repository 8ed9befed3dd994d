/** What the user asked about, as plain data read from the editor (no VS Code types). */
export interface ExplainSubject {
  languageId: string;
  /** File name as shown to the model and the user, e.g. a workspace-relative path. */
  fileName: string;
  /** 1-based line of the first selected line. */
  startLine: number;
  /** The selected code (for a problem: the lines it points at). */
  code: string;
  /** Lines before the selection, in file order (the nearest is last). */
  before: readonly string[];
  /** Lines after the selection, in file order (the nearest is first). */
  after: readonly string[];
  /** Set for "Explain this problem". */
  problem?: ExplainProblem;
}

export interface ExplainProblem {
  message: string;
  severity: 'error' | 'warning';
  /** e.g. 'ts' or 'eslint' */
  source?: string;
  code?: string;
  /** 1-based line the diagnostic starts on. */
  line: number;
}

export function endLine(subject: Pick<ExplainSubject, 'startLine' | 'code'>): number {
  return subject.startLine + subject.code.split('\n').length - 1;
}
