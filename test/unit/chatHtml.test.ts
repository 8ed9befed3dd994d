import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chatCsp, chatHtml, createNonce } from '../../src/extension/present/chatHtml';
import { itemAt } from '../fixtures/itemAt';

const cspSource = 'https://*.vscode-cdn.net';
const nonce = 'bm9uY2Utbm9uY2Utbm9uY2U=';
const input = {
  cspSource,
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/chat.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/chat.css',
  iconStyleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/codicon.css',
  nonce,
};

function cspOf(html: string): string {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(match, 'the page has a CSP meta tag');
  return itemAt(match, 1).replace(/&#39;|&apos;/g, "'");
}

test('the CSP is exactly the one the webview rules prescribe', () => {
  const html = chatHtml(input);
  assert.equal(
    cspOf(html),
    `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource}; font-src ${cspSource}`,
  );
  assert.equal(cspOf(html), chatCsp(cspSource, nonce));
});

test('the CSP has no unsafe sources and no connect-src', () => {
  const html = chatHtml(input);
  assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|connect-src/);
});

test('the only script is the module bundle, and it carries the nonce', () => {
  const html = chatHtml(input);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  const script = itemAt(scripts, 0);
  const attributes = itemAt(script, 1);
  const body = itemAt(script, 2);
  assert.match(attributes, new RegExp(`\\bnonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
  assert.match(attributes, /\btype="module"/);
  assert.ok(attributes.includes(`src="${input.scriptUri}"`));
  assert.equal(body.trim(), '', 'no inline script');
});

test('no inline styles or event handler attributes; the codicon stylesheet, then the view\'s own, are linked', () => {
  const html = chatHtml(input);
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle=/);
  assert.doesNotMatch(html, /\son[a-z]+=/i);
  const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]*)">/g)].map((m) => m[1]);
  assert.deepEqual(links, [input.iconStyleUri, input.styleUri]);
});

test('URIs are escaped into attributes', () => {
  const html = chatHtml({ ...input, scriptUri: 'https://x/a.js?q="><script>alert(1)</script>&b' });
  assert.doesNotMatch(html, /<script>alert/);
  assert.ok(html.includes('&quot;&gt;&lt;script&gt;'));
});

test('a nonce that is not base64 is refused', () => {
  assert.throws(() => chatHtml({ ...input, nonce: "abc' 'unsafe-inline" }));
  assert.throws(() => chatHtml({ ...input, nonce: 'short' }));
  assert.throws(() => chatHtml({ ...input, cspSource: "https://x; script-src 'unsafe-inline'" }));
});

test('createNonce gives fresh base64 nonces that chatHtml accepts', () => {
  const a = createNonce();
  const b = createNonce();
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
  assert.doesNotThrow(() => chatHtml({ ...input, nonce: a }));
});
