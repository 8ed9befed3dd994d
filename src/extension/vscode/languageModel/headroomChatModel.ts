import * as vscode from 'vscode';
import { languageModelInfo, requestOptions, toChatMessages, type LmMessage, type LmPart } from '../../chat/languageModelMessages';
import { ServerTokenCounter } from '../../chat/tokenCounter';
import type { ServerController } from '../server/serverController';

/** package.json's `languageModelChatProviders` vendor: `vscode.lm.selectChatModels({ vendor: 'headroom' })`. */
export const LM_VENDOR = 'headroom';

const NOT_RUNNING = "Headroom's model is not running. Start it with 'Headroom: Start Local Model'.";

function part(p: unknown): LmPart {
  if (p instanceof vscode.LanguageModelTextPart) return { kind: 'text', text: p.value };
  if (p instanceof vscode.LanguageModelToolResultPart) {
    return { kind: 'toolResult', text: p.content.map((c) => (c instanceof vscode.LanguageModelTextPart ? c.value : '')).join('') };
  }
  return { kind: 'other' };
}

function message(m: vscode.LanguageModelChatRequestMessage): LmMessage {
  const role = m.role === vscode.LanguageModelChatMessageRole.User ? 'user' : m.role === vscode.LanguageModelChatMessageRole.Assistant ? 'assistant' : 'system';
  return { role, parts: m.content.map(part) };
}

/**
 * The running model in VS Code's own chat and for other extensions (vscode.lm): one entry while llama-server is
 * ready, none otherwise. Replies stream through the same client as Headroom's chat; token counts come from the
 * server's own tokenizer.
 */
export class HeadroomChatModel implements vscode.LanguageModelChatProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;
  private shown: string | undefined;
  private readonly subscription: { dispose(): void };

  constructor(private readonly server: ServerController) {
    this.subscription = server.onDidChangeView(() => {
      const ready = server.server;
      const now = ready ? `${ready.model}:${ready.contextSize}` : undefined;
      if (now === this.shown) return;
      this.shown = now;
      this.changed.fire();
    });
  }

  provideLanguageModelChatInformation(): vscode.LanguageModelChatInformation[] {
    const ready = this.server.server;
    if (!ready) return [];
    this.shown = `${ready.model}:${ready.contextSize}`;
    return [{ ...languageModelInfo(ready), capabilities: {} }];
  }

  async provideLanguageModelChatResponse(
    _model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const backend = this.server.backend();
    if (!backend) throw vscode.LanguageModelError.NotFound(NOT_RUNNING);
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      const request = { messages: toChatMessages(messages.map(message)), ...requestOptions(options.modelOptions) };
      for await (const delta of backend.stream(request, abort.signal)) {
        if (delta.kind === 'text') progress.report(new vscode.LanguageModelTextPart(delta.text));
      }
    } catch (err) {
      if (token.isCancellationRequested) return;
      throw err;
    } finally {
      cancel.dispose();
    }
  }

  async provideTokenCount(_model: vscode.LanguageModelChatInformation, text: string | vscode.LanguageModelChatRequestMessage, token: vscode.CancellationToken): Promise<number> {
    const ready = this.server.server;
    if (!ready) throw vscode.LanguageModelError.NotFound(NOT_RUNNING);
    const counter = new ServerTokenCounter({ baseUrl: ready.baseUrl, apiKey: ready.apiKey });
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      if (typeof text === 'string') return await counter.countText(text, abort.signal);
      const messages = toChatMessages([message(text)]);
      return messages.length === 0 ? 0 : await counter.countMessages(messages, abort.signal);
    } finally {
      cancel.dispose();
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Registers the provider; both disposables go to the extension context. */
export function registerLanguageModel(server: ServerController): vscode.Disposable[] {
  const model = new HeadroomChatModel(server);
  return [model, vscode.lm.registerLanguageModelChatProvider(LM_VENDOR, model)];
}
