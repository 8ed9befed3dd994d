import * as vscode from 'vscode';
import { targetEditor } from './targetEditor';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { HeadroomError, errorMessage } from '../../common/errors';
import { chooseApplyTarget, type ApplyTarget } from '../../chat/applyTarget';
import { checkUnchanged, proposedEdit, StaleProposalError, textHash, type ProposedEdit } from '../../chat/applyProposal';
import type { CodeSource } from '../../chat/codeFences';

export const PROPOSAL_SCHEME = 'headroom-proposal';
export const ACCEPT_COMMAND = 'headroom.acceptProposal';
export const REJECT_COMMAND = 'headroom.rejectProposal';
/** Context key: a proposal is open (shows Accept / Reject in the palette). */
const OPEN_CONTEXT = 'headroom.proposalOpen';

interface Pending {
  id: string;
  document: vscode.Uri;
  proposal: vscode.Uri;
  edit: ProposedEdit;
  /** The document's text when the diff opened: Accept refuses if it is not that any more. */
  originalHash: string;
  name: string;
  /** Ends the notification that points at Accept / Reject. */
  settle(): void;
}

function isDiffOf(tab: vscode.Tab, p: Pending): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === p.proposal.toString();
}

/**
 * "Apply" on a code block: VS Code's diff of the target against the proposed text, then Accept (one WorkspaceEdit,
 * so Undo takes it back) or Reject. One proposal at a time; a new Apply replaces the open one.
 */
export class ApplyEdits implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private pending: Pending | undefined;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables = [
      this.changed,
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this),
      vscode.commands.registerCommand(ACCEPT_COMMAND, () => this.report(this.accept())),
      vscode.commands.registerCommand(REJECT_COMMAND, () => this.report(this.reject())),
      // Closing the diff by hand is a Reject.
      vscode.window.tabGroups.onDidChangeTabs((e) => {
        const p = this.pending;
        if (p && e.closed.some((t) => isDiffOf(t, p))) void this.close(p);
      }),
    ];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.pending?.proposal.toString() === uri.toString() ? this.pending.edit.result : '';
  }

  /** Opens the diff for `code`; problems (no target, stale text) are shown, not thrown. */
  propose(code: string, source: CodeSource | undefined): Promise<void> {
    return this.report(this.open(code, source));
  }

  async accept(id = this.pending?.id): Promise<void> {
    const p = this.pending;
    if (!p || p.id !== id) return;
    const document = await vscode.workspace.openTextDocument(p.document);
    try {
      checkUnchanged(p.name, document.getText(), p.originalHash);
    } catch (err) {
      await this.close(p);
      throw err instanceof StaleProposalError ? new StaleProposalError(p.name, 'It was edited while the diff was open; press Apply again to review the change against the current text.') : err;
    }
    const range = new vscode.Range(document.positionAt(p.edit.range.start), document.positionAt(p.edit.range.end));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, range, p.edit.text);
    if (!(await vscode.workspace.applyEdit(edit))) throw new HeadroomError(`VS Code refused the edit to ${p.name}.`, 'Is the file read-only?');
    await this.close(p);
    const end = document.positionAt(p.edit.range.start + p.edit.text.length);
    await vscode.window.showTextDocument(document, { selection: new vscode.Range(range.start, end), preview: false });
    this.log.info(`Apply: accepted the change to ${p.name}`);
    vscode.window.setStatusBarMessage(`Headroom: applied to ${p.name} (Undo takes it back)`, 4000);
  }

  async reject(id = this.pending?.id): Promise<void> {
    const p = this.pending;
    if (!p || p.id !== id) return;
    await this.close(p);
    vscode.window.setStatusBarMessage('Headroom: proposed change rejected', 3000);
  }

  dispose(): void {
    void vscode.commands.executeCommand('setContext', OPEN_CONTEXT, false);
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private async open(code: string, source: CodeSource | undefined): Promise<void> {
    const active = targetEditor();
    const target = chooseApplyTarget(
      code,
      source,
      active && { uri: active.document.uri.toString(), text: active.document.getText(), selectionEmpty: active.selection.isEmpty },
    );
    const { document, range, name } = await this.resolve(target, active, source);
    const text = document.getText();
    const offsets = range === 'whole' ? 'whole' : { start: document.offsetAt(range.start), end: document.offsetAt(range.end) };
    if (this.pending) await this.close(this.pending);
    const id = randomUUID();
    let settle = (): void => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const pending: Pending = {
      settle,
      id,
      document: document.uri,
      proposal: vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: document.uri.path, query: id }),
      edit: proposedEdit(text, offsets, code),
      originalHash: textHash(text),
      name,
    };
    this.pending = pending;
    await vscode.commands.executeCommand('setContext', OPEN_CONTEXT, true);
    await vscode.commands.executeCommand('vscode.diff', document.uri, pending.proposal, `${name} ↔ Headroom's proposal`, { preview: false });
    this.log.info(`Apply: proposed a change to ${name} (${target.kind})`);
    // A progress notification, so that it goes away by itself once the proposal is accepted, rejected or replaced.
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Headroom: review the change to ${name}, then Accept (✓) or Reject (✗) in the diff's title bar.`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => void this.report(this.reject(id)));
        return settled;
      },
    );
  }

  /** The document and range a target means, checked against the text the code was written for. */
  private async resolve(target: ApplyTarget, active: vscode.TextEditor | undefined, source: CodeSource | undefined): Promise<{ document: vscode.TextDocument; range: vscode.Range | 'whole'; name: string }> {
    switch (target.kind) {
      case 'namedFile': {
        const document = await vscode.workspace.openTextDocument(this.workspaceFile(target.path));
        const name = vscode.workspace.asRelativePath(document.uri);
        const attached = source?.attachments.find((a) => a.kind === 'file' && a.origin?.uri === document.uri.toString());
        if (attached) checkUnchanged(name, document.getText(), textHash(attached.text));
        return { document, range: 'whole', name };
      }
      case 'attachedRange': {
        const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target.origin.uri, true));
        const { start, end } = target.origin;
        const range = new vscode.Range(start.line, start.character, end.line, end.character);
        const what = `The text attached as ${target.label}`;
        if (!document.validateRange(range).isEqual(range)) throw new StaleProposalError(what);
        checkUnchanged(what, document.getText(range), textHash(target.original));
        return { document, range, name: target.label };
      }
      case 'activeFile':
      case 'activeSelection': {
        // chooseApplyTarget only picks these with an active editor.
        if (!active) throw new HeadroomError('Open the file to apply to in an editor first.');
        const name = path.basename(active.document.fileName);
        return { document: active.document, range: target.kind === 'activeFile' ? 'whole' : active.selection, name };
      }
    }
  }

  /** A fence's path, relative to a workspace folder (or absolute inside one); the model's text never reaches outside. */
  private workspaceFile(named: string): vscode.Uri {
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const root = folder.uri.fsPath;
      const full = path.resolve(root, named);
      const rel = path.relative(root, full);
      if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && existsSync(full)) return vscode.Uri.file(full);
    }
    throw new HeadroomError(`The code block names ${named}, which is not a file in this workspace.`, 'Use "New file" to open the code in an untitled editor instead.');
  }

  private async close(p: Pending): Promise<void> {
    if (this.pending === p) this.pending = undefined;
    p.settle();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => isDiffOf(t, p));
    if (tabs.length > 0) await vscode.window.tabGroups.close(tabs);
    if (!this.pending) await vscode.commands.executeCommand('setContext', OPEN_CONTEXT, false);
  }

  private async report(run: Promise<void>): Promise<void> {
    try {
      await run;
    } catch (err) {
      const message = errorMessage(err);
      this.log.warn(`Apply: ${message}`);
      void vscode.window.showWarningMessage(`Headroom: ${message}`);
    }
  }
}
