// The page every Headroom webview starts from: no inline script or style, a strict CSP with a fresh nonce
// (ARCHITECTURE.md, "Webview rules"), one stylesheet, one module script that builds the whole UI.
// vscode-free, so the page and its CSP are unit-tested under plain Node.
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of the bundle under dist/webview/, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(...)` of the stylesheet under media/, as a string. */
  styleUri: string;
  nonce: string;
  /** The document title (plain text; escaped). */
  title: string;
  /** The codicon stylesheet (dist/webview/codicon.css), linked before the view's own; its font is beside it. */
  iconStyleUri?: string;
}

/** A fresh nonce per rendered page: 128 random bits, base64. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

const NONCE_PATTERN = /^[A-Za-z0-9+/]{16,}={0,2}$/;

/** Exactly the CSP of the webview rules: nothing but the nonce'd script and the webview's own resources. */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function webviewHtml({ cspSource, scriptUri, styleUri, nonce, title, iconStyleUri }: WebviewHtmlInput, caller = 'webviewHtml'): string {
  // A nonce with quotes or spaces would break out of the CSP; refuse it rather than escape it.
  if (!NONCE_PATTERN.test(nonce)) throw new Error(`${caller}: the nonce must be base64 with at least 16 characters`);
  // cspSource may list several sources, but a ';' would start a directive of its own.
  if (/[;\r\n]/.test(cspSource)) throw new Error(`${caller}: unexpected characters in cspSource: ${cspSource}`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(webviewCsp(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${iconStyleUri === undefined ? '' : `<link rel="stylesheet" href="${escapeHtml(iconStyleUri)}">\n`}<link rel="stylesheet" href="${escapeHtml(styleUri)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="app" class="app"></div>
<script type="module" nonce="${nonce}" src="${escapeHtml(scriptUri)}"></script>
</body>
</html>
`;
}
