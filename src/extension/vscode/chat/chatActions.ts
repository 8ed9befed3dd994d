import * as vscode from 'vscode';
import { targetEditor } from './targetEditor';
import { openableUrl, type ChatEditorActions, type CodeAction } from '../../present/chatViewController';
import { vscodeLanguageId } from '../../chat/languageIds';
import type { CodeSource } from '../../chat/codeFences';
import type { ApplyEdits } from './applyEdit';

/** Code-block buttons, link opening and delete confirmation, for ChatViewController. */
export class VsCodeChatActions implements ChatEditorActions {
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly applyEdits: ApplyEdits,
  ) {}

  async codeAction(action: CodeAction, code: string, language: string, source?: CodeSource): Promise<void> {
    switch (action) {
      case 'apply':
        return this.applyEdits.propose(code, source);
      case 'copy':
        await vscode.env.clipboard.writeText(code);
        vscode.window.setStatusBarMessage('Headroom: code copied', 2000);
        return;
      case 'insert':
      case 'replace': {
        const editor = targetEditor();
        if (!editor) {
          void vscode.window.showWarningMessage('Headroom: open a file in an editor first.');
          return;
        }
        const ok = await editor.edit((edit) => {
          for (const selection of editor.selections) {
            if (action === 'insert') edit.insert(selection.active, code);
            else edit.replace(selection, code);
          }
        });
        if (!ok) void vscode.window.showWarningMessage('Headroom: the editor refused the edit (is it read-only?).');
        return;
      }
      case 'newFile': {
        const wanted = vscodeLanguageId(language);
        const known = await vscode.languages.getLanguages();
        const document = await vscode.workspace.openTextDocument({ content: code, language: known.includes(wanted) ? wanted : 'plaintext' });
        await vscode.window.showTextDocument(document, { preview: false });
        return;
      }
    }
  }

  async openLink(url: string): Promise<void> {
    // Checked again here: this is the last step before anything leaves VS Code.
    const safe = openableUrl(url);
    if (!safe) return;
    const choice = await vscode.window.showWarningMessage(
      'Open this link from the model’s reply?',
      { modal: true, detail: safe },
      'Open',
    );
    if (choice !== 'Open') return;
    this.log.info(`Chat: opening ${safe}`);
    await vscode.env.openExternal(vscode.Uri.parse(safe, true));
  }

  async confirmDelete(title: string): Promise<boolean> {
    const choice = await vscode.window.showWarningMessage(`Delete the chat “${title}”?`, { modal: true, detail: 'It is removed from disk.' }, 'Delete');
    return choice === 'Delete';
  }
}
