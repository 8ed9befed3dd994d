import * as vscode from 'vscode';

/** Saves headroom.modelPath in the workspace or for the user, as the user picks. */
export async function saveModelChoice(path: string): Promise<boolean> {
  let target = vscode.ConfigurationTarget.Global;
  if (vscode.workspace.workspaceFolders?.length) {
    const where = await vscode.window.showQuickPick(
      [
        { label: 'User', description: 'every workspace', target: vscode.ConfigurationTarget.Global },
        { label: 'Workspace', description: 'only this workspace', target: vscode.ConfigurationTarget.Workspace },
      ],
      { title: `Headroom: use ${path.split(/[\\/]/).pop()} for...` },
    );
    if (!where) return false;
    target = where.target;
  }
  await vscode.workspace.getConfiguration('headroom').update('modelPath', path, target);
  return true;
}
