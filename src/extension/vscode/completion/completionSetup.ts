import { basename } from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../common/errors';
import { type CompletionStatus, statusItem } from '../../completion/completionStatus';
import { ExtraContext } from '../../completion/extraContext';
import { fimModelAdvice, fimSupportOfFile, noFimSentence } from '../../completion/fimAdvice';
import type { InfillUnsupportedError } from '../../completion/infillClient';
import type { FimSupport } from '../../gguf/fimTokens';
import type { ReadyServer } from '../../llama/supervisor';
import type { HardwareProbe } from '../../memory/hardware';
import { planVerdict } from '../../models/planVerdict';
import { readCompletionSettings } from '../config';
import { command, type CommandDeps } from '../server/commands';
import { modelPathOf } from './completionModelServer';
import { InlineProvider } from './inlineProvider';

export interface CompletionDeps extends CommandDeps {
  readonly probe: HardwareProbe;
}

/**
 * Inline completion for every file, a status-bar switch, and the FIM check of each model the server
 * runs: a model without FIM tokens gets no requests and its one sentence, once per model and session.
 */
class CompletionFeature implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('headroom.completion', vscode.StatusBarAlignment.Right, 99);
  private readonly extra = new ExtraContext();
  /** FIM support by model path; a path with a check in progress maps to its promise. */
  private readonly support = new Map<string, FimSupport | Promise<FimSupport>>();
  private readonly told = new Set<string>();
  private noFim: { model: string; sentence: string } | undefined;
  private lastClipboard = '';
  readonly provider: InlineProvider;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly deps: CompletionDeps) {
    this.item.name = 'Headroom Completion';
    this.item.command = 'headroom.toggleCompletion';
    this.provider = new InlineProvider({
      server: () => this.activeServer(),
      extra: this.extra,
      onUnsupported: (err) => this.unsupported(err),
      log: deps.log,
    });
    this.subscriptions.push(
      this.item,
      deps.controller.supervisor.onDidChangeState((s) => {
        if (s.kind === 'ready') void this.check();
        this.render();
      }),
      deps.controller.completion.runner.supervisor.onDidChangeState(() => this.render()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('headroom.completion')) return;
        this.provider.reset();
        void this.check();
        this.render();
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.remember(editor.document, editor.selection.active.line);
      }),
      vscode.workspace.onDidSaveTextDocument((doc) => {
        const editor = vscode.window.activeTextEditor;
        this.remember(doc, editor?.document === doc ? editor.selection.active.line : 0);
      }),
    );
    void this.check();
    this.render();
    this.item.show();
  }

  dispose(): void {
    this.provider.reset();
    for (const s of this.subscriptions.splice(0)) s.dispose();
  }

  private remember(document: vscode.TextDocument, line: number): void {
    if (document.uri.scheme !== 'file' && document.uri.scheme !== 'untitled') return;
    this.extra.add(vscode.workspace.asRelativePath(document.uri), document.getText(), line);
  }

  /**
   * The clipboard joins the extra context when it changes (read on each request, off the request's path).
   * Only on the desktop: a browser (code-server, vscode.dev) asks the user for permission on every read.
   */
  noteClipboard(): void {
    if (vscode.env.uiKind !== vscode.UIKind.Desktop) return;
    void vscode.env.clipboard.readText().then((text) => {
      if (text === this.lastClipboard) return;
      this.lastClipboard = text;
      this.extra.add('clipboard', text);
    }, () => undefined);
  }

  /** The model completions come from: headroom.completion.modelPath, or else the chat server's. */
  private completionModel(): { path: string; name: string } | undefined {
    const second = this.deps.controller.completion.modelPath;
    if (second) return { path: second, name: basename(second) };
    const server = this.deps.controller.server;
    const path = server && modelPathOf(server);
    return server && path ? { path, name: server.model } : undefined;
  }

  private status(): CompletionStatus {
    if (!readCompletionSettings().enabled) return { kind: 'disabled' };
    const model = this.completionModel();
    if (!model) return { kind: 'no-model' };
    if (this.noFim?.model === model.path) return { kind: 'no-fim', sentence: this.noFim.sentence };
    const support = this.support.get(model.path);
    return support && !(support instanceof Promise) && support.complete ? { kind: 'active', model: model.name } : { kind: 'no-model' };
  }

  private activeServer(): ReadyServer | undefined {
    if (this.status().kind !== 'active') return undefined;
    this.noteClipboard();
    // The second model's server starts on the first completion due, when it is not up yet.
    return this.deps.controller.completion.modelPath ? this.deps.controller.completion.serverNow() : this.deps.controller.server;
  }

  private render(): void {
    const { text, tooltip } = statusItem(this.status());
    this.item.text = text;
    this.item.tooltip = tooltip;
  }

  /** Reads the running model's header once; a model without FIM is told once. */
  private async check(): Promise<void> {
    const model = this.completionModel();
    if (!model || this.support.has(model.path)) return;
    const path = model.path;
    const pending = fimSupportOfFile(path);
    this.support.set(path, pending);
    try {
      const support = await pending;
      this.support.set(path, support);
      if (!support.complete) await this.tell(path, model.name, support);
    } catch (err) {
      this.support.delete(path);
      this.deps.log.warn(`completion: could not read ${path}: ${errorMessage(err)}`);
    }
    this.render();
  }

  private unsupported(err: InfillUnsupportedError): void {
    const model = this.completionModel();
    if (!model) return;
    this.deps.log.warn(`completion: ${err.message}`);
    void this.tell(model.path, model.name, { tokens: {}, complete: false, missing: ['pre', 'suf', 'mid'], source: 'none' });
  }

  private async tell(path: string, model: string, support: FimSupport): Promise<void> {
    const sentence = noFimSentence(model, support, fimModelAdvice(await this.deps.probe.sample(), planVerdict));
    this.noFim = { model: path, sentence };
    this.render();
    if (this.told.has(path)) return;
    this.told.add(path);
    this.deps.log.info(sentence);
    void vscode.window.showInformationMessage(`Headroom: ${sentence}`);
  }

  async toggle(): Promise<void> {
    const c = vscode.workspace.getConfiguration('headroom.completion');
    await c.update('enabled', !readCompletionSettings().enabled, vscode.ConfigurationTarget.Global);
  }
}

export function registerCompletion(deps: CompletionDeps): vscode.Disposable[] {
  const feature = new CompletionFeature(deps);
  return [
    feature,
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, feature.provider),
    command(deps, 'headroom.toggleCompletion', () => feature.toggle()),
  ];
}
