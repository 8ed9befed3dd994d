import * as vscode from 'vscode';

/** The editor the chat acts on: the active one, else the first visible one (focus is in the webview). */
export function targetEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}
