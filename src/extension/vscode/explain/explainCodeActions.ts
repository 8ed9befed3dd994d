import * as vscode from 'vscode';
import { offerExplain } from '../../explain/offer';

export const EXPLAIN_KIND = vscode.CodeActionKind.Empty.append('headroom').append('explain');

/** Arguments of `headroom.explainProblem`, as a Quick Fix passes them. */
export interface ProblemArgs {
  uri: vscode.Uri;
  range: vscode.Range;
  message: string;
  severity: 'error' | 'warning';
  source?: string;
  code?: string;
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  if (d.code === undefined) return undefined;
  return typeof d.code === 'object' ? String(d.code.value) : String(d.code);
}

function short(text: string, max = 60): string {
  const line = text.split('\n')[0]!; // split always returns at least one element
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** "Explain selection" on a selection of code worth explaining (offerExplain), "Explain this problem" as a Quick Fix on errors and warnings. */
export class ExplainCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, EXPLAIN_KIND],
  };

  provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.severity !== vscode.DiagnosticSeverity.Error && d.severity !== vscode.DiagnosticSeverity.Warning) continue;
      const action = new vscode.CodeAction(`Headroom: Explain this problem: ${short(d.message)}`, vscode.CodeActionKind.QuickFix);
      action.diagnostics = [d];
      const args: ProblemArgs = {
        uri: document.uri,
        range: d.range,
        message: d.message,
        severity: d.severity === vscode.DiagnosticSeverity.Error ? 'error' : 'warning',
        source: d.source,
        code: codeOf(d),
      };
      action.command = { command: 'headroom.explainProblem', title: 'Explain this problem', arguments: [args] };
      actions.push(action);
    }
    const wanted = !context.only || context.only.contains(EXPLAIN_KIND) || EXPLAIN_KIND.contains(context.only);
    if (!range.isEmpty && wanted && offerExplain(document.languageId, document.getText(range))) {
      const action = new vscode.CodeAction('Headroom: Explain selection', EXPLAIN_KIND);
      action.command = { command: 'headroom.explainSelection', title: 'Explain selection', arguments: [document.uri, range] };
      actions.push(action);
    }
    return actions;
  }
}
