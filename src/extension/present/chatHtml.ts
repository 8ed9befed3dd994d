import { createNonce, webviewCsp, webviewHtml } from './webviewHtml';

export { createNonce };

export interface ChatHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of dist/webview/chat.js, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(...)` of media/chat.css, as a string. */
  styleUri: string;
  /** `webview.asWebviewUri(...)` of dist/webview/codicon.css. */
  iconStyleUri: string;
  nonce: string;
}

export function chatCsp(cspSource: string, nonce: string): string {
  return webviewCsp(cspSource, nonce);
}

/** The chat view's page: no inline script or style; the module script builds the whole UI. */
export function chatHtml(input: ChatHtmlInput): string {
  return webviewHtml({ ...input, title: 'Headroom Chat' }, 'chatHtml');
}
