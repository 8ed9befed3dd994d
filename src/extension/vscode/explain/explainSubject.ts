import * as vscode from 'vscode';
import type { Span } from '../../explain/rangeTracking';
import type { ExplainProblem, ExplainSubject } from '../../explain/subject';

/** Lines of surrounding code read from the file; the prompt keeps as many as fit the context. */
const BEFORE = 80;
const AFTER = 40;

export interface EditorSubject {
  uri: vscode.Uri;
  subject: ExplainSubject;
  /** The whole lines explained: where the thread sits. */
  range: vscode.Range;
  span: Span;
  /** e.g. "main.ts:10-24" */
  title: string;
}

function linesOf(document: vscode.TextDocument, from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = Math.max(0, from); i <= Math.min(document.lineCount - 1, to); i++) out.push(document.lineAt(i).text);
  return out;
}

/** The whole lines a range touches (a selection ending at column 0 leaves that last line out). */
export function subjectFor(document: vscode.TextDocument, range: vscode.Range, problem?: ExplainProblem): EditorSubject {
  const first = range.start.line;
  const last = range.end.character === 0 && range.end.line > first ? range.end.line - 1 : range.end.line;
  const fileName = vscode.workspace.asRelativePath(document.uri, false);
  const lastText = document.lineAt(last).text;
  const shortName = fileName.split('/').pop() ?? fileName;
  return {
    uri: document.uri,
    subject: {
      languageId: document.languageId,
      fileName,
      startLine: first + 1,
      code: linesOf(document, first, last).join('\n'),
      before: linesOf(document, first - BEFORE, first - 1),
      after: linesOf(document, last + 1, last + AFTER),
      problem,
    },
    range: new vscode.Range(first, 0, last, lastText.length),
    span: { start: { line: first, character: 0 }, end: { line: last, character: lastText.length } },
    title: first === last ? `${shortName}:${first + 1}` : `${shortName}:${first + 1}-${last + 1}`,
  };
}
