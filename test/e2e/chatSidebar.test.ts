// The chat sidebar's promises checked in real VS Code (code-server) and real Chromium: hostile markdown rendered
// by the real webview runs no script and loads nothing, the CSP is exactly ours, code-block buttons act on real
// editors, and a conversation (with a stopped and an interrupted reply) survives "Developer: Reload Window".
// The hostile text can't come from the random-weights model on cue, so it is seeded as a saved conversation in
// the extension's globalStorage before VS Code starts: the same file the history store writes, loaded through
// the same path (store -> ChatHistory -> snapshot -> webview) as any past chat.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Locator, Request } from 'playwright-core';
import { webviewCsp } from '../../src/extension/present/webviewHtml';
import type { ChatEntry } from '../../src/webview/protocol/chat';
import { contrastInEveryTheme, type ContrastTargets } from './contrast';
import { e2eUnavailable, Session, sleep, waitUntil, scenarioRunner } from './harness';
import { XSS_CORPUS } from '../fixtures/xssCorpus';
import { itemAt } from '../fixtures/itemAt';




/** Payloads that would reach a canary HTTP server on 127.0.0.1 if anything in them ran or loaded. */
function canaryCorpus(canary: string): string[] {
  return [
    `<img src="${canary}/img" onerror="fetch('${canary}/img-onerror')">`,
    `<script>fetch('${canary}/script')</script>`,
    `<script src="${canary}/script-src"></script>`,
    `![leak](${canary}/md-image?secret=1)`,
    `![leak][r]\n\n[r]: ${canary}/md-image-ref`,
    `<iframe src="${canary}/iframe"></iframe>`,
    `<link rel="stylesheet" href="${canary}/link-css">`,
    `<style>@import url(${canary}/css-import); body { background: url(${canary}/css-bg) }</style>`,
    `<video><source src="${canary}/video" onerror="fetch('${canary}/video-onerror')"></video>`,
    `<object data="${canary}/object"></object><embed src="${canary}/embed">`,
    `<meta http-equiv="refresh" content="0;url=${canary}/meta-refresh">`,
    `<base href="${canary}/base/">`,
    `<svg><image href="${canary}/svg-image"/></svg>`,
    `<form action="${canary}/form"><button>go</button></form>`,
    `[js](javascript:fetch('${canary}/js-link'))`,
    `[data](data:text/html,<script>fetch('${canary}/data-link')</script>)`,
    `A link the host may open, after asking: [the canary](${canary}/clicked-link).`,
    // markdown-it itself refuses javascript: and most data: URLs (they stay text); a data:image/png one parses.
    '![pixel](data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==)',
  ];
}

const CODE = 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}';
const TARGET_START = '// target\n';

function entry(id: string, role: ChatEntry['role'], text: string): ChatEntry {
  return { id, role, text, status: 'complete' };
}

function storedChat(id: string, title: string, updatedAt: number, entries: ChatEntry[]): string {
  return JSON.stringify({ format: 1, id, title, createdAt: updatedAt - 1000, updatedAt, entries });
}

/** What the chat view shows, and the contrast each must reach: WCAG AA's 4.5:1 for text, 3:1 for syntax colours. */
const CHAT_CONTRAST: ContrastTargets = {
  '[data-testid=server-state]': 4.5,
  '[data-testid=message][data-role=user] [data-testid=message-text]': 4.5,
  '[data-testid=message][data-role=assistant] [data-testid=message-text] p': 4.5,
  '[data-testid=message][data-role=assistant] p code': 4.5,
  '[data-testid=md-link]': 4.5,
  '.code-block pre code': 4.5,
  '.code-language': 4.5,
  '.code-toolbar .icon-button': 3,
  '.code-block .hljs-keyword': 3,
  '.code-block .hljs-string': 3,
  '.code-block .hljs-title': 3,
  '[data-testid=message-stats]': 4.5,
  '.message-role': 4.5,
  '[data-testid=model-switcher]': 4.5,
  // Icons are graphics, not text: WCAG's 3:1 for user-interface components.
  '[data-testid=send]': 3,
  '[data-testid=attach-selection]': 3,
  '[data-testid=chat-input]': 4.5,
  '[data-testid=context-meter-text]': 4.5,
};


/** A local HTTP server that records every request it gets: any hit means something loaded or ran. */
async function startCanary(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('canary');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, server };
}

describe('the chat sidebar in real VS Code: security, code blocks, history', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  let canary: Awaited<ReturnType<typeof startCanary>>;
  const corpus: string[] = [];
  const requests: Request[] = [];
  const dialogs: string[] = [];

  const { scenario } = scenarioRunner(() => s);

  /** Opens a past chat from the Chats list (the item for chat `id`); returns the title the list shows. */
  async function openPastChat(chat: FrameLocator, id: string): Promise<string> {
    const open = chat.locator(`[data-testid=history-item][data-chat-id="${id}"] [data-testid=history-open]`);
    if (!(await open.isVisible().catch(() => false))) await s?.viewTitleAction('Show Chat History').click();
    const title = await open.innerText();
    await open.click();
    await waitUntil(`the chat ${id} to be current`, async () => (await chat.locator(`[data-testid=history-item].current[data-chat-id="${id}"]`).count()) === 1, 15_000, 100);
    assert.equal(await chat.locator('[data-testid=history]').isVisible(), false, 'the Chats list closes once a chat is opened');
    return title;
  }

  /** The header's server state reads in full (no ellipsis) next to its buttons in a default-width side bar. */
  async function assertStateNotCut(chat: FrameLocator, kind: string): Promise<void> {
    const state = chat.locator(`[data-testid=server-state][data-kind=${kind}]`);
    await state.waitFor({ timeout: 30_000 });
    const box = await state.evaluate((el) => ({ text: el.textContent ?? '', scroll: el.scrollWidth, client: el.clientWidth, body: document.body.clientWidth }));
    process.stdout.write(`header state (${kind}): ${JSON.stringify(box)}\n`);
    assert.ok(box.client > 0 && box.scroll <= box.client, `the state "${box.text}" is not cut: ${JSON.stringify(box)}`);
  }

  /** Lets a paused (SIGSTOP) llama-server run 100 ms at a time until `done`; it is left paused. */
  async function runInSlicesUntil(pid: number, what: string, done: () => Promise<boolean>): Promise<void> {
    await waitUntil(what, async () => {
      process.kill(pid, 'SIGCONT');
      await sleep(100);
      process.kill(pid, 'SIGSTOP');
      await sleep(300);
      return done();
    }, 60_000, 50);
  }

  function messages(chat: FrameLocator, role?: 'user' | 'assistant'): Locator {
    return chat.locator(role ? `[data-testid=message][data-role=${role}]` : '[data-testid=message]');
  }

  before(
    async () => {
      canary = await startCanary();
      corpus.push(...XSS_CORPUS, ...canaryCorpus(canary.url));
      const now = Date.now();
      s = await Session.open({
        name: 'chat-sidebar',
        // A long context, and replies cut at 300 tokens by llama-server (-n) so the first one ends by itself; the
        // history test lifts the cut later for replies that run until Stop or the reload.
        settings: { 'headroom.contextSize': 8192, 'headroom.extraServerArgs': ['--n-predict', '300'] },
        beforeStart: (session) => {
          const chats = join(session.globalStorage(), 'chats');
          mkdirSync(chats, { recursive: true });
          // Each payload as the user's (plain text) and as the model's (markdown) message.
          const hostile = corpus.flatMap((text, i) => [entry(`xu${i}`, 'user', text), entry(`xa${i}`, 'assistant', text)]);
          writeFileSync(join(chats, 'seeded-xss.json'), storedChat('seeded-xss', itemAt(XSS_CORPUS, 0), now - 60_000, hostile));
          const code = [
            entry('cu', 'user', 'Write a greeting function'),
            {
              ...entry('ca', 'assistant', `Here it is:\n\n\`\`\`ts\n${CODE}\n\`\`\`\n\nCall \`greet\` as [the handbook](https://example.com/handbook) shows.`),
              stats: { tokens: 42, tokensPerSecond: 51.3, timeToFirstTokenMs: 120 },
            },
          ];
          // The newest chat is the one the view opens with.
          writeFileSync(join(chats, 'seeded-code.json'), storedChat('seeded-code', 'Write a greeting function', now, code));
          writeFileSync(join(session.workspace, 'target.ts'), TARGET_START);
        },
      });
      const page = s.page;
      page.context().on('request', (r) => requests.push(r));
      page.on('dialog', (d) => {
        dialogs.push(`${d.type()}: ${d.message()}`);
        void d.dismiss().catch(() => undefined);
      });
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
    canary?.server.close();
  });

  test('the XSS corpus in the real webview: no script runs, nothing loads, links go through the host', async () => {
    await scenario('1-xss', async (current) => {
      const page = current.page;
      const chat = await current.openChat();
      await messages(chat).first().waitFor({ timeout: 30_000 });
      const frame = await current.chatFrameHandle();
      assert.ok(requests.some((r) => /\/dist\/webview\/chat\.js/.test(r.url())), 'the request monitor sees the webview\'s own loads');
      await chat.locator('[data-testid=start-server]').waitFor();
      await assertStateNotCut(chat, 'stopped');

      // The CSP, exactly as webviewHtml.ts writes it (ARCHITECTURE.md, "Webview rules").
      const page_ = await frame.evaluate(() => ({
        csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
        metas: document.querySelectorAll('meta[http-equiv="Content-Security-Policy"]').length,
        scripts: [...document.querySelectorAll('script')].map((el) => ({ src: el.src, nonce: el.nonce ?? '', inline: el.textContent ?? '' })),
      }));
      process.stdout.write(`webview CSP: ${page_.csp}\n`);
      const parsed = /^default-src 'none'; script-src 'nonce-([A-Za-z0-9+/]{16,}={0,2})'; style-src (.+?); img-src /.exec(page_.csp);
      assert.ok(parsed, `the CSP has our shape: ${page_.csp}`);
      const nonce = itemAt(parsed, 1);
      const cspSource = itemAt(parsed, 2);
      assert.equal(page_.csp, webviewCsp(cspSource, nonce), 'the CSP is exactly webviewCsp(cspSource, nonce)');
      assert.doesNotMatch(cspSource, /'unsafe-|(^|\s)(\*|https?:|data:|blob:)(\s|$)/, `the webview's cspSource is narrow: ${cspSource}`);
      assert.equal(page_.metas, 1, 'one CSP meta tag');
      // Ours is the only script loaded from a file; VS Code itself injects one inline shim (acquireVsCodeApi) ahead of
      // the page, and nothing else is inline.
      const loaded = page_.scripts.filter((sc) => sc.src);
      assert.equal(loaded.length, 1, `one script file: ${JSON.stringify(loaded.map((sc) => sc.src))}`);
      const ours = itemAt(loaded, 0);
      assert.match(ours.src, /\/dist\/webview\/chat\.js(\?|$)/);
      assert.equal(ours.nonce, nonce, 'our script carries the CSP nonce');
      const inline = page_.scripts.filter((sc) => !sc.src);
      assert.ok(inline.every((sc) => /^globalThis\.acquireVsCodeApi = /.test(sc.inline.trim())), 'the only inline script is VS Code\'s API shim');

      // Hooks in the webview before the hostile chat renders: script entry points and CSP violations are recorded.
      await frame.evaluate(() => {
        const w = window as unknown as { __xss: string[] };
        w.__xss = [];
        for (const name of ['alert', 'confirm', 'prompt', 'print', 'open'] as const) {
          (window as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
            w.__xss.push(`${name}(${args.map(String).join(', ')})`);
          };
        }
        document.addEventListener('securitypolicyviolation', (e) => w.__xss.push(`csp: ${e.violatedDirective} ${e.blockedURI}`));
        window.addEventListener('error', (e) => w.__xss.push(`error: ${e.message}`));
      });
      const requestsBefore = requests.length;
      // Its title (the first user message) is hostile too, and shows as text in the Chats list.
      assert.equal(await openPastChat(chat, 'seeded-xss'), XSS_CORPUS[0]);
      await waitUntil('the corpus to render', async () => (await messages(chat).count()) === corpus.length * 2, 30_000, 100);
      // Every payload, user side and model side, is in the DOM as text or inert elements.
      await sleep(1_500);

      const dom = await frame.evaluate(() => {
        const root = document.querySelector('[data-testid=messages]');
        if (!root) throw new Error('no messages');
        const all = [...root.querySelectorAll('*')];
        return {
          dangerous: all
            .filter((el) => /^(script|img|iframe|frame|svg|math|object|embed|style|link|meta|base|form|input|video|audio|source|image)$/i.test(el.localName))
            .map((el) => el.outerHTML.slice(0, 120)),
          handlers: all.filter((el) => [...el.attributes].some((a) => /^on/i.test(a.name))).map((el) => el.outerHTML.slice(0, 120)),
          withUrls: all
            .filter((el) => ['href', 'src', 'srcset', 'action', 'formaction', 'data', 'xlink:href', 'style', 'background', 'poster'].some((n) => el.hasAttribute(n)))
            .map((el) => el.outerHTML.slice(0, 120)),
          blocked: [...root.querySelectorAll('[data-testid=md-image-blocked]')].map((el) => el.textContent ?? ''),
          links: [...root.querySelectorAll('[data-testid=md-link]')].map((el) => (el as HTMLElement).title),
          refused: root.querySelectorAll('.link-refused').length,
          bodyVisible: getComputedStyle(document.body).display !== 'none',
          xss: (window as unknown as { __xss: string[] }).__xss,
        };
      });
      process.stdout.write(`image placeholders: ${JSON.stringify(dom.blocked)}\nlinks: ${JSON.stringify(dom.links)}\nrefused links: ${dom.refused}\n`);
      assert.deepEqual(dom.dangerous, [], 'no script/img/iframe/svg/style/form/... element in the transcript');
      assert.deepEqual(dom.handlers, [], 'no element with an on* attribute');
      assert.deepEqual(dom.withUrls, [], 'no element carries href/src/action/style from the model');
      assert.deepEqual(dom.xss, [], 'no alert/confirm/prompt/open call, no CSP violation, no error in the webview');
      assert.ok(dom.bodyVisible, 'the model\'s <style> did not hide the page');
      const canaryHost = new URL(canary.url).host;
      assert.ok(dom.blocked.some((t) => t.includes('evil.example')), `a placeholder names evil.example: ${JSON.stringify(dom.blocked)}`);
      assert.ok(dom.blocked.some((t) => t.includes(canaryHost)), `a placeholder names ${canaryHost}: ${JSON.stringify(dom.blocked)}`);
      assert.ok(dom.blocked.some((t) => t.includes('inline data')), 'a data: image is a placeholder too');
      assert.ok(dom.links.every((href) => /^https?:\/\//.test(href)), `only http(s) links: ${JSON.stringify(dom.links)}`);
      // file:, command: and vscode: links parse as links and are refused by openableUrl (javascript: and data: ones
      // never become links: markdown-it's own validateLink leaves them as text).
      assert.ok(dom.refused >= 3, `file:/command:/vscode: links are shown as text (${dom.refused})`);
      // Hostile text shows as text: the user's raw message and the model's raw HTML both read back verbatim.
      assert.equal(await messages(chat, 'user').nth(1).locator('[data-testid=message-text]').innerText(), '<script>alert(1)</script>');
      assert.match(await messages(chat, 'assistant').nth(1).innerText(), /<script>alert\(1\)<\/script>/);

      // Clicking what looks like a javascript: link does nothing: no dialog, no navigation, no modal.
      const frameUrl = frame.url();
      const refused = chat.locator('.link-refused');
      for (let i = 0; i < Math.min(await refused.count(), 6); i++) await refused.nth(i).click();
      await sleep(500);
      assert.equal(frame.url(), frameUrl, 'the webview did not navigate');
      assert.equal(await page.locator('.monaco-dialog-box').count(), 0, 'no dialog for a refused link');

      // An http link goes to the host, which shows the full URL in a modal; Cancel opens nothing.
      const pagesBefore = page.context().pages().length;
      const link = chat.locator('[data-testid=md-link]', { hasText: 'the canary' });
      await link.click();
      const modal = page.locator('.monaco-dialog-box');
      await modal.waitFor({ timeout: 15_000 });
      const modalText = await modal.innerText();
      process.stdout.write(`link modal: ${JSON.stringify(modalText)}\n`);
      assert.match(modalText, /Open this link from the model/);
      assert.ok(modalText.includes(`${canary.url}/clicked-link`), 'the modal shows the full URL');
      await current.screenshot('1-xss-link-modal');
      await modal.getByRole('button', { name: 'Cancel' }).click();
      await modal.waitFor({ state: 'detached', timeout: 10_000 });
      await sleep(1_000);
      assert.deepEqual(canary.hits, [], 'Cancel opened nothing');

      // Nothing from the corpus reached the network: the canary got no request, and no request went to a host
      // other than code-server's own (the webview's resources come from code-server too).
      assert.deepEqual(canary.hits, [], `the canary server got requests: ${JSON.stringify(canary.hits)}`);
      assert.equal(page.context().pages().length, pagesBefore, 'no window opened');
      const codeServer = new URL(page.url()).host;
      const during = requests.slice(requestsBefore).map((r) => r.url());
      const foreign = during.filter((u) => {
        if (/^(data|blob|vscode-[a-z-]+):/.test(u)) return false;
        try {
          return new URL(u).host !== codeServer;
        } catch {
          return true;
        }
      });
      process.stdout.write(`requests while the corpus rendered: ${during.length}, to other hosts: ${JSON.stringify(foreign)}\n`);
      assert.deepEqual(foreign, [], 'no request to any host but code-server');
      assert.ok(!during.some((u) => /evil\.example|clicked-link|md-image/.test(u)), 'no request names a corpus URL');
      assert.deepEqual(dialogs, [], 'no browser dialog (alert/confirm/prompt) anywhere');
      assert.deepEqual(await frame.evaluate(() => (window as unknown as { __xss: string[] }).__xss), [], 'still no script ran in the webview');

      // The positive path, which also proves the canary would have seen a load: Open opens the URL (code-server
      // opens a browser window; VS Code may first ask about the untrusted domain).
      await link.click();
      await modal.waitFor({ timeout: 15_000 });
      await modal.getByRole('button', { name: 'Open', exact: true }).click();
      await waitUntil('the opened link to reach the canary', async () => {
        if (canary.hits.includes('/clicked-link')) return true;
        const prompt = page.locator('.monaco-dialog-box');
        if (await prompt.isVisible().catch(() => false)) {
          process.stdout.write(`second prompt: ${JSON.stringify(await prompt.innerText())}\n`);
          await prompt.getByRole('button', { name: 'Open', exact: true }).click().catch(() => undefined);
        }
        return false;
      }, 20_000, 250);
      assert.deepEqual(canary.hits, ['/clicked-link'], 'only the confirmed link was fetched');
    });
  });

  test('code-block buttons: Copy, Insert at cursor, Replace selection, Open in new file', async () => {
    await scenario('2-code-blocks', async (current) => {
      const page = current.page;
      const target = join(current.workspace, 'target.ts');
      const chat = await current.openChat();
      await openPastChat(chat, 'seeded-code');
      const block = chat.locator('[data-testid=code-block]').first();
      await block.waitFor();
      assert.equal(await block.getAttribute('data-language'), 'ts');

      // Open target.ts and put the cursor at its end.
      await current.quickOpen('target.ts');
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await page.locator('.tab.active', { hasText: 'target.ts' }).waitFor();
      const editorText = async (): Promise<string> => (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ');
      /** Saves target.ts with Ctrl+S and waits for the disk to hold `expected`; returns what it holds. */
      const saved = async (expected: string): Promise<string> => {
        await editor.locator('.view-lines').click();
        await page.keyboard.press('Control+S');
        return waitUntil('target.ts to be saved', () => readFileSync(target, 'utf8') === expected && expected, 10_000, 100).catch(() => readFileSync(target, 'utf8'));
      };
      await editor.locator('.view-lines').click();
      await page.keyboard.press('Control+End');

      // Insert at the cursor.
      await block.locator('[data-testid=code-insert]').click();
      await waitUntil('the insert to reach the editor', async () => (await editorText()).includes('greet'), 10_000, 100);
      assert.equal(await saved(TARGET_START + CODE), TARGET_START + CODE, 'Insert put the code at the cursor');

      // Replace the selection (all of it).
      await editor.locator('.view-lines').click();
      await page.keyboard.press('Control+A');
      await block.locator('[data-testid=code-replace]').click();
      await waitUntil('the replace to reach the editor', async () => !(await editorText()).includes('// target'), 10_000, 100);
      assert.equal(await saved(CODE), CODE, 'Replace put the code in place of the selection');

      // Copy, then paste with the keyboard into the editor.
      await block.locator('[data-testid=code-copy]').click();
      await waitUntil('the "code copied" message', async () => /code copied/.test(await page.locator('.statusbar').innerText()), 5_000, 50);
      await editor.locator('.view-lines').click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await waitUntil('the editor to be empty', async () => !(await editorText()).includes('greet'), 10_000, 100);
      await page.keyboard.press('Control+V');
      await waitUntil('the paste to reach the editor', async () => (await editorText()).includes('greet'), 10_000, 100);
      assert.equal(await saved(CODE), CODE, 'the clipboard held exactly the code');

      // Open in a new file: an untitled TypeScript editor with the code.
      await block.locator('[data-testid=code-newFile]').click();
      await page.locator('.tab.active', { hasText: /Untitled/ }).waitFor({ timeout: 15_000 });
      const mode = page.locator('.statusbar-item[id$="status.editor.mode"]');
      await waitUntil('the language in the status bar', async () => (await mode.innerText().catch(() => '')).trim() === 'TypeScript', 10_000, 100);
      const untitled = page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first();
      const shown = await waitUntil('the new file to show the code', async () => {
        const text = (await untitled.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
        return text.includes('export function greet(name: string): string {') && text;
      }, 10_000, 100);
      process.stdout.write(`new file: ${JSON.stringify(shown)}\n`);
    });
  });

  test('history survives "Developer: Reload Window": a finished, a stopped and an interrupted reply', async () => {
    await scenario('3-history-reload', async (current) => {
      await current.ensureReady();
      let chat = await current.openChat();
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 30_000 });
      await current.viewTitleAction('New Chat').click();
      await waitUntil('a new, empty chat', async () => (await messages(chat).count()) === 0, 10_000, 100);

      const ask = async (question: string): Promise<Locator> => {
        const before = await messages(chat, 'assistant').count();
        await chat.locator('[data-testid=chat-input]').fill(question);
        await chat.locator('[data-testid=chat-input]').press('Enter');
        await waitUntil('the reply to appear', async () => (await messages(chat, 'assistant').count()) > before, 30_000, 100);
        return messages(chat, 'assistant').last();
      };
      const textOf = async (reply: Locator): Promise<string> => reply.locator('[data-testid=message-text]').innerText();

      // 1: a reply that ends by itself (the context fills up).
      const first = await ask('What is a llama?');
      await waitUntil('the first reply to finish', async () => (await first.getAttribute('data-status')) !== 'streaming', 180_000, 250);
      const firstStatus = await first.getAttribute('data-status');
      const firstText = await textOf(first);
      process.stdout.write(`first reply: ${firstStatus}, ${firstText.length} characters\n`);
      assert.ok(firstText.length > 0, 'the first reply has text');
      assert.equal(firstStatus, 'complete');

      // Without the cut, replies run until Stop (the tiny model never ends one by itself: its control tokens are silenced).
      current.updateWorkspaceSettings({ 'headroom.extraServerArgs': undefined });
      await sleep(1_500);
      await current.restartModel();
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 30_000 });

      // 2: a reply stopped early.
      // A warm tiny model can finish a reply faster than the view shows it: it runs in slices and stays
      // paused (SIGSTOP) while Stop is clicked, so Stop lands mid-reply.
      const streaming = itemAt(current.llamaServers(), 0);
      process.kill(streaming, 'SIGSTOP');
      const second = await ask('Tell me more.');
      await runInSlicesUntil(streaming, 'the second reply to stream', async () => (await textOf(second)).length > 0);
      try {
        await chat.locator('[data-testid=stop]').click();
        await waitUntil('the second reply to stop', async () => (await second.getAttribute('data-status')) === 'stopped', 15_000, 100);
      } finally {
        process.kill(streaming, 'SIGCONT');
      }
      const secondText = await textOf(second);
      assert.match(await second.locator('[data-testid=message-marker]').innerText(), /Stopped/);
      await current.screenshot('3-history-before-reload');

      await current.reloadWindow();
      chat = await current.openChat();
      await waitUntil('the conversation to come back', async () => (await messages(chat).count()) === 4, 30_000, 200);
      const users = await messages(chat, 'user').locator('[data-testid=message-text]').allInnerTexts();
      assert.deepEqual(users, ['What is a llama?', 'Tell me more.']);
      const [r1, r2] = [messages(chat, 'assistant').nth(0), messages(chat, 'assistant').nth(1)];
      assert.equal(await r1.getAttribute('data-status'), firstStatus);
      assert.equal(await textOf(r1), firstText, 'the first reply is back word for word');
      assert.equal(await r2.getAttribute('data-status'), 'stopped');
      assert.equal(await textOf(r2), secondText, 'the stopped reply is back as it was');
      assert.match(await r2.locator('[data-testid=message-marker]').innerText(), /Stopped/, 'the stopped reply is still marked');
      await current.screenshot('3-history-after-reload');

      // The header in a default-width side bar: a long state ("crashed; restarting…") is not cut down to "…" by the
      // buttons (they wrap to their own line).
      await current.ensureReady();
      await assertStateNotCut(chat, 'ready');
      const [pid] = current.llamaServers();
      assert.ok(pid, 'a llama-server runs');
      process.kill(pid, 'SIGKILL');
      await assertStateNotCut(chat, 'crashed');
      await current.screenshot('3-header-crashed');
      await waitUntil('llama-server to restart by itself', () => current.llamaServers().some((p) => p !== pid), 30_000);

      // 3: reload while a reply streams: the question and the partial answer come back, marked incomplete.
      // (llama-server is shared and outlives the window: the reloaded window attaches to it again.)
      await current.ensureReady();
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 60_000 });
      // The warm tiny model can finish a whole reply in a second, faster than the view shows it: let it
      // run in 100 ms slices (SIGCONT/SIGSTOP) until some text shows, and keep it paused, so the reply
      // is surely mid-stream when the window goes; it runs on once the old window is gone.
      const mid = itemAt(current.llamaServers(), 0);
      process.kill(mid, 'SIGSTOP');
      const third = await ask('One more, please.');
      await runInSlicesUntil(mid, 'the third reply to have some text', async () => (await textOf(third)).length > 20);
      assert.equal(await third.getAttribute('data-status'), 'streaming', 'the third reply is still streaming when the window reloads');
      await current.reloadWindow();
      process.kill(mid, 'SIGCONT');
      chat = await current.openChat();
      await waitUntil('the conversation to come back again', async () => (await messages(chat).count()) === 6, 30_000, 200);
      const r3 = messages(chat, 'assistant').nth(2);
      assert.equal(await messages(chat, 'user').nth(2).locator('[data-testid=message-text]').innerText(), 'One more, please.');
      const thirdStatus = await r3.getAttribute('data-status');
      const thirdText = await textOf(r3);
      const marker = await r3.locator('[data-testid=message-marker]').innerText().catch(() => '');
      process.stdout.write(`interrupted reply after reload: ${thirdStatus}, ${thirdText.length} characters, marker ${JSON.stringify(marker)}\n`);
      assert.equal(thirdStatus, 'interrupted');
      assert.ok(thirdText.length > 0, 'the partial answer is there');
      assert.match(marker, /Incomplete/);

      // And on disk: one file for the conversation, the index lists it.
      const files = readdirSync(join(current.globalStorage(), 'chats'));
      process.stdout.write(`history files: ${JSON.stringify(files)}\n`);
      assert.ok(files.includes('index.json'));
      assert.equal(files.filter((f) => f.endsWith('.json') && f !== 'index.json').length, 3, 'the two seeded chats and this one');
    });
  });
  test('themes: in light, dark and both high-contrast themes every text of the view reads at WCAG AA contrast', async () => {
    await scenario('4-themes', async (current) => {
      const chat = await current.openChat();
      await openPastChat(chat, 'seeded-code');
      await chat.locator('.code-block').first().waitFor({ timeout: 15_000 });
      const failures = await contrastInEveryTheme(current, await current.chatFrameHandle(), CHAT_CONTRAST, '4-theme');
      assert.deepEqual(failures, [], 'texts below their contrast target');
    });
  });
});
