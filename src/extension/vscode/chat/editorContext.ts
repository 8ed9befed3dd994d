import * as vscode from 'vscode';
import * as path from 'node:path';
import { targetEditor } from './targetEditor';
import type { ContextSource } from '../../chat/contextTracker';
import type { AttachmentKind, AttachmentOrigin } from '../../chat/entries';

/** Files bigger than this are not attached whole: the model's context could not hold them anyway. */
const MAX_ATTACH_CHARS = 400_000;

/** The selection, the current file or its diagnostics, as text for a chip. */
export class EditorContextSource implements ContextSource {
  async collect(kind: AttachmentKind): Promise<{ label: string; text: string; origin?: AttachmentOrigin } | undefined> {
    const current = targetEditor();
    if (!current) {
      void vscode.window.showInformationMessage('Headroom: open a file in an editor to attach it.');
      return undefined;
    }
    const doc = current.document;
    const name = path.basename(doc.fileName);
    switch (kind) {
      case 'selection': {
        const sel = current.selection;
        if (sel.isEmpty) {
          void vscode.window.showInformationMessage('Headroom: select some text first.');
          return undefined;
        }
        return { label: `${name}:${sel.start.line + 1}-${sel.end.line + 1}`, text: clip(doc.getText(sel)), origin: origin(doc, sel) };
      }
      case 'file': {
        const whole = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
        return { label: name, text: clip(doc.getText()), origin: origin(doc, whole) };
      }
      case 'diagnostics': {
        const diagnostics = vscode.languages.getDiagnostics(doc.uri);
        const lines = diagnostics.map((d) => `${name}:${d.range.start.line + 1}:${d.range.start.character + 1} ${severity(d.severity)}: ${d.message}${d.source ? ` (${d.source})` : ''}`);
        return { label: `Problems in ${name} (${diagnostics.length})`, text: lines.length ? lines.join('\n') : 'No problems reported.' };
      }
    }
  }
}

function origin(doc: vscode.TextDocument, range: vscode.Range): AttachmentOrigin {
  const at = (p: vscode.Position) => ({ line: p.line, character: p.character });
  return { uri: doc.uri.toString(), start: at(range.start), end: at(range.end) };
}

function clip(text: string): string {
  return text.length > MAX_ATTACH_CHARS ? `${text.slice(0, MAX_ATTACH_CHARS)}\n… (cut at ${MAX_ATTACH_CHARS} characters)` : text;
}

function severity(s: vscode.DiagnosticSeverity): string {
  return ['error', 'warning', 'info', 'hint'][s] ?? 'info';
}
