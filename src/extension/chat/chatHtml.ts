import { randomBytes } from 'node:crypto';

export interface ChatHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  /** `webview.asWebviewUri(...)` of dist/webview/chat.js, as a string. */
  scriptUri: string;
  /** `webview.asWebviewUri(...)` of media/chat.css, as a string. */
  styleUri: string;
  nonce: string;
}

/** A fresh nonce per rendered page: 128 random bits, base64. */
export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

const NONCE_PATTERN = /^[A-Za-z0-9+/]{16,}={0,2}$/;

export function chatCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The chat view's page: no inline script or style; the module script builds the whole UI. */
export function chatHtml({ cspSource, scriptUri, styleUri, nonce }: ChatHtmlInput): string {
  // A nonce with quotes or spaces would break out of the CSP; refuse it rather than escape it.
  if (!NONCE_PATTERN.test(nonce)) throw new Error('chatHtml: the nonce must be base64 with at least 16 characters');
  // cspSource may list several sources, but a ';' would start a directive of its own.
  if (/[;\r\n]/.test(cspSource)) throw new Error(`chatHtml: unexpected characters in cspSource: ${cspSource}`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(chatCsp(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>Headroom Chat</title>
</head>
<body>
<div id="app" class="app"></div>
<script type="module" nonce="${nonce}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}
