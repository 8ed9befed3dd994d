import * as vscode from 'vscode';
import { CompletionEngine } from '../../completion/completionEngine';
import type { CursorContext } from '../../completion/cursorContext';
import type { ExtraContext } from '../../completion/extraContext';
import { InfillClient, InfillUnsupportedError } from '../../completion/infillClient';
import type { ReadyServer } from '../../llama/supervisor';
import { readCompletionSettings } from '../config';

/** The window of lines around `position`, read line by line (no copy of a large document per keystroke). */
export function cursorContextAt(document: vscode.TextDocument, position: vscode.Position, prefixLines: number, suffixLines: number): CursorContext {
  const line = document.lineAt(position.line).text;
  const linesBefore: string[] = [];
  for (let i = Math.max(0, position.line - prefixLines); i < position.line; i++) linesBefore.push(document.lineAt(i).text);
  const linesAfter: string[] = [];
  for (let i = position.line + 1; i < Math.min(document.lineCount, position.line + 1 + suffixLines); i++) linesAfter.push(document.lineAt(i).text);
  return { fileName: vscode.workspace.asRelativePath(document.uri), linesBefore, lineBefore: line.slice(0, position.character), lineAfter: line.slice(position.character), linesAfter };
}

export interface InlineProviderDeps {
  /** The server to complete with, or undefined when completion is not active. */
  readonly server: () => ReadyServer | undefined;
  readonly extra: ExtraContext;
  /** The running model turned out to have no FIM (its /infill answered 501). */
  readonly onUnsupported: (err: InfillUnsupportedError) => void;
  readonly log: vscode.LogOutputChannel;
}

/** Ghost text from /infill; the editor's cancellation token aborts the HTTP request. */
export class InlineProvider implements vscode.InlineCompletionItemProvider {
  private engine: { engine: CompletionEngine; server: ReadyServer } | undefined;

  constructor(private readonly deps: InlineProviderDeps) {}

  /** The engine for this server and settings (a restart moves the server; its cache is the old model's). */
  private engineFor(server: ReadyServer): CompletionEngine {
    const settings = readCompletionSettings();
    if (this.engine?.server !== server) {
      this.engine?.engine.cancel();
      this.engine = {
        server,
        engine: new CompletionEngine(new InfillClient(server), this.deps.extra, {
          debounceMs: settings.debounceMs,
          infill: { maxTokens: settings.maxTokens, maxPredictMs: settings.maxPredictMs },
        }),
      };
    }
    return this.engine.engine;
  }

  /** Settings changed: the next request builds an engine that reads them. */
  reset(): void {
    this.engine?.engine.cancel();
    this.engine = undefined;
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const server = this.deps.server();
    if (!server || token.isCancellationRequested) return undefined;
    const settings = readCompletionSettings();
    const ctx = cursorContextAt(document, position, settings.prefixLines, settings.suffixLines);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const engine = this.engineFor(server);
      const suggestion = await engine.complete(ctx, abort.signal);
      this.deps.log.trace(`completion at ${ctx.fileName}:${position.line + 1}:${position.character + 1}: ${suggestion ? `${suggestion.text.length} characters${suggestion.fromCache ? ' (cache)' : ''}` : `none (${JSON.stringify(engine.stats)})`}`);
      if (!suggestion) return undefined;
      return [new vscode.InlineCompletionItem(suggestion.text, new vscode.Range(position, position))];
    } catch (err) {
      if (err instanceof InfillUnsupportedError) this.deps.onUnsupported(err);
      else this.deps.log.warn(`completion: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    } finally {
      sub.dispose();
    }
  }
}
