// The chat view's behaviour and accessibility tree in real Chromium with the real webview bundle and codicons (no
// VS Code around it; test/e2e/chatLook.test.ts shows the same view in VS Code's four theme kinds). The host is
// played by posting its messages; what the view posts back is read from the stub (window.__posted).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath, openChatPage, postToChat, snapshot } from '../fixtures/chatPage';
import { requireTool } from '../fixtures/requireTool';
import { CODE_ACTIONS, VIEW_COMMANDS, type ChatEntry, type ModelsView, type WebviewToHost } from '../../src/webview/protocol/chat';

const question: ChatEntry = { id: 'q1', role: 'user', text: 'What is a KV cache?', status: 'complete' };
const earlier: ChatEntry = { id: 'q0', role: 'user', text: 'First question', status: 'complete' };
const answer: ChatEntry = { id: 'a0', role: 'assistant', text: 'An answer with code:\n\n```ts\nconst x = 1;\n```\n', status: 'complete' };

const models: ModelsView = {
  models: [
    { path: '/m/small-Q4_K_M.gguf', label: 'small-Q4_K_M.gguf', fit: 'gpu', verdict: 'fully on GPU' },
    { path: '/m/big-Q8_0.gguf', label: 'big-Q8_0.gguf', fit: 'no-fit', verdict: 'does not fit: needs 41 GB, 30 GB free' },
  ],
  configured: '/m/small-Q4_K_M.gguf',
  scanning: false,
};

describe('the chat view in real Chromium: accessibility tree, icons, keyboard, model switcher', { skip: requireTool('Chromium', chromiumPath(), 'apt-get install chromium, or set CHROMIUM_PATH') }, () => {
  let browser: Browser;
  let page: Page;

  const posted = (): Promise<WebviewToHost[]> => page.evaluate(() => (window as unknown as { __posted: WebviewToHost[] }).__posted);
  const clearPosted = (): Promise<void> => page.evaluate(() => void ((window as unknown as { __posted: unknown[] }).__posted.length = 0));
  const frames = (): Promise<unknown> => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  before(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  });
  beforeEach(async () => {
    await page?.close();
    page = await openChatPage(browser);
  });
  after(async () => {
    await browser?.close();
  });

  test('streaming: the log is not live, the reply is aria-busy while it streams, and it is announced once when it ends', async () => {
    await postToChat(page, snapshot([question, { id: 'a1', role: 'assistant', text: '', status: 'streaming' }], true));
    // Every change of the live region's text, as a screen reader would be told of it.
    await page.evaluate(() => {
      const w = window as unknown as { __announced: string[] };
      w.__announced = [];
      const region = document.querySelector('[data-testid=announcer]');
      if (region) new MutationObserver(() => w.__announced.push(region.textContent ?? '')).observe(region, { childList: true, characterData: true, subtree: true });
    });
    const log = page.getByRole('log', { name: 'Chat transcript' });
    assert.equal(await log.getAttribute('aria-live'), 'off', 'the transcript does not read its own changes');
    const reply = page.locator('[data-testid=message][data-role=assistant]');
    for (const piece of ['The KV cache ', 'keeps keys and values. ', 'It grows with the context.']) {
      await postToChat(page, { type: 'entryDelta', id: 'a1', text: piece });
      await frames();
      assert.equal(await reply.getAttribute('aria-busy'), 'true', 'busy while streaming');
    }
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __announced: string[] }).__announced), [], 'nothing announced while it streams');
    assert.equal(await page.locator('[aria-live=polite], [aria-live=assertive]').filter({ has: page.locator('[data-testid=message]') }).count(), 0, 'no live region around the messages');

    await postToChat(page, { type: 'entryDone', id: 'a1', status: 'complete', stats: { tokens: 12, tokensPerSecond: 30, timeToFirstTokenMs: 90 } });
    await postToChat(page, { type: 'busy', busy: false });
    await frames();
    assert.equal(await reply.getAttribute('aria-busy'), null, 'aria-busy is gone once it finished');
    const announced = await page.evaluate(() => (window as unknown as { __announced: string[] }).__announced);
    assert.deepEqual(announced, ['Model replied: The KV cache keeps keys and values. It grows with the context.'], 'announced once, whole');

    const tree = await page.locator('body').ariaSnapshot();
    process.stdout.write(`${tree}\n`);
    assert.match(tree, /- log "Chat transcript"/);
    assert.match(tree, /- status: "?Model replied: The KV cache keeps keys and values\. It grows with the context\."?$/m);
  });

  test('a stopped reply is announced once with its marker; a snapshot (opening a chat) announces nothing', async () => {
    await postToChat(page, snapshot([question, answer], false));
    assert.equal(await page.locator('[data-testid=announcer]').textContent(), '', 'a past chat is not read out');
    await postToChat(page, { type: 'entryAdded', entry: { id: 'a2', role: 'assistant', text: 'Partial', status: 'streaming' } });
    await postToChat(page, { type: 'entryDone', id: 'a2', status: 'stopped' });
    assert.equal(await page.locator('[data-testid=announcer]').textContent(), 'Model replied: Partial Stopped');
  });

  test('the context meter is a meter with a label, a value range and a readable value', async () => {
    await postToChat(page, snapshot([question], false));
    await postToChat(page, { type: 'context', context: { pending: [], used: 1234, limit: 8192, omittedTurns: 0 } });
    const meter = page.getByRole('meter', { name: 'Context used' });
    assert.deepEqual(
      await meter.evaluate((el) => ['aria-valuemin', 'aria-valuemax', 'aria-valuenow', 'aria-valuetext'].map((a) => el.getAttribute(a))),
      ['0', '8192', '1234', '1,234 of 8,192 tokens (15%)'],
    );
    await postToChat(page, { type: 'context', context: { pending: [], used: null, limit: null, omittedTurns: 0 } });
    assert.equal(await meter.getAttribute('aria-valuetext'), 'unknown until the model runs');
    assert.match(await page.locator('body').ariaSnapshot(), /- meter "Context used"/);
  });

  test('every button has an accessible name, and the codicon font draws the icons', async () => {
    await postToChat(page, snapshot([earlier, answer, question, { ...answer, id: 'a3' }], false));
    await postToChat(page, { type: 'context', context: { pending: [{ id: 'p1', kind: 'file', label: 'a.ts', tokens: 40 }], used: 100, limit: 2048, omittedTurns: 0 } });
    await postToChat(page, { type: 'models', models });
    await postToChat(page, { type: 'server', server: { kind: 'stopped', label: 'Model stopped' } });
    const unnamed = await page.evaluate(() =>
      [...document.querySelectorAll('button, select, textarea, [role=button]')]
        .filter((el) => !(el.getAttribute('aria-label') ?? el.textContent ?? '').trim())
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    assert.deepEqual(unnamed, [], 'no control without a name');
    const tree = await page.locator('body').ariaSnapshot();
    assert.doesNotMatch(tree, /- button\s*$/m, 'the accessibility tree has no unnamed button');
    for (const name of ['Edit and resend', 'Copy the reply', 'Regenerate: answer the last message again', 'Attach the editor selection', 'Attach the current file', "Attach the current file's problems", 'Remove a.ts', 'Start the model', 'Send (Enter)']) {
      assert.ok((await page.getByRole('button', { name, exact: true }).count()) > 0, `a button named "${name}"`);
    }
    // The code toolbar: one named icon button per row of CODE_ACTIONS, in its order.
    const toolbar = page.locator('[data-testid=code-block]').first().getByRole('toolbar');
    const names = await toolbar.getByRole('button').evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
    assert.deepEqual(names, Object.values(CODE_ACTIONS).map((a) => a.label));

    const font = await page.evaluate(async () => {
      await document.fonts.ready;
      const icon = document.querySelector('[data-testid=code-copy] .codicon');
      if (!icon) return undefined;
      const style = getComputedStyle(icon, '::before');
      return { family: style.fontFamily, content: style.content, width: icon.getBoundingClientRect().width, loaded: document.fonts.check('16px codicon') };
    });
    assert.ok(font, 'the copy button has a codicon');
    assert.match(font.family, /codicon/);
    assert.notEqual(font.content, 'none');
    assert.ok(font.loaded, 'the codicon font is loaded');
    assert.ok(font.width > 0, `the glyph has a width (${font.width})`);
  });

  test('a code block uses the view\'s full width: only a few pixels of chrome either side', async () => {
    await postToChat(page, snapshot([question, answer], false));
    const widths = await page.evaluate(() => {
      const list = document.querySelector('[data-testid=messages]');
      const pre = document.querySelector('.code-block pre');
      return { list: list?.clientWidth ?? 0, pre: pre?.getBoundingClientRect().width ?? 0 };
    });
    assert.ok(widths.pre >= widths.list - 24, `the code block is ${widths.pre} px wide in a ${widths.list} px transcript`);
  });

  test('message actions show on hover and on keyboard focus, and post what they do', async () => {
    await postToChat(page, snapshot([question, answer], false));
    const reply = page.locator('[data-testid=message][data-role=assistant]');
    const actions = reply.locator('[data-testid=message-actions]');
    const opacity = (): Promise<string> => actions.evaluate((el) => getComputedStyle(el).opacity);
    await page.mouse.move(0, 899);
    assert.equal(await opacity(), '0', 'hidden until wanted');
    await reply.hover();
    assert.equal(await opacity(), '1', 'shown on hover');
    await page.mouse.move(0, 899);
    await reply.getByRole('button', { name: 'Copy the reply' }).focus();
    assert.equal(await opacity(), '1', 'shown on keyboard focus');
    await clearPosted();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    assert.deepEqual(await posted(), [{ type: 'copyReply', id: 'a0' }, { type: 'regenerate' }]);
  });

  test('Up in an empty input recalls the last message; with text in it, Up moves the cursor as usual', async () => {
    await postToChat(page, snapshot([earlier, answer, question, { ...answer, id: 'a3' }], false));
    const input = page.getByRole('textbox', { name: 'Message to the model' });
    await input.focus();
    await page.keyboard.press('ArrowUp');
    assert.equal(await input.inputValue(), 'What is a KV cache?');
    await input.fill('line one\nline two');
    await page.keyboard.press('ArrowUp');
    assert.equal(await input.inputValue(), 'line one\nline two', 'a draft is never replaced');
  });

  test('the model switcher lists the models with their verdicts; a switch posts the path, and the notice shows', async () => {
    await postToChat(page, snapshot([], false));
    await postToChat(page, { type: 'models', models });
    const switcher = page.getByRole('combobox', { name: 'Model (switching restarts the server)' });
    assert.deepEqual(await switcher.locator('option').allTextContents(), ['small-Q4_K_M.gguf · GPU', 'big-Q8_0.gguf · does not fit']);
    assert.equal(await switcher.inputValue(), '/m/small-Q4_K_M.gguf');
    await clearPosted();
    await switcher.selectOption('/m/big-Q8_0.gguf');
    assert.deepEqual(await posted(), [{ type: 'switchModel', path: '/m/big-Q8_0.gguf' }]);
    await postToChat(page, { type: 'notice', text: 'Switching to big-Q8_0.gguf: restarting llama-server…' });
    assert.equal(await page.locator('[data-testid=header-notice]').innerText(), 'Switching to big-Q8_0.gguf: restarting llama-server…');
    await postToChat(page, { type: 'notice', text: '' });
    assert.equal(await page.locator('[data-testid=header-notice]').isVisible(), false);
  });

  test('the empty chat explains the steps, says which model is configured and whether it runs, and its buttons run allow-listed commands', async () => {
    await postToChat(page, snapshot([], false));
    await postToChat(page, { type: 'models', models: { models: [], configured: null, scanning: false } });
    await postToChat(page, { type: 'server', server: { kind: 'stopped', label: 'Model stopped' } });
    const empty = page.getByRole('region', { name: 'Getting started' });
    assert.match(await empty.innerText(), /No model is configured yet/);
    assert.equal(await empty.getByRole('listitem').count(), 3);
    await clearPosted();
    for (const name of ['Select Model…', 'Download…', 'Start', 'Memory plan']) await empty.getByRole('button', { name, exact: true }).click();
    const commands = (await posted()).map((m) => (m.type === 'runCommand' ? m.command : m.type));
    assert.deepEqual(commands, ['headroom.selectModel', 'headroom.downloadModel', 'headroom.start', 'headroom.showPlan']);
    assert.ok(commands.every((c) => (VIEW_COMMANDS as readonly string[]).includes(c)));

    await postToChat(page, { type: 'models', models });
    assert.match(await page.locator('[data-testid=empty-status]').innerText(), /Model: small-Q4_K_M\.gguf · not running/);
    await postToChat(page, { type: 'server', server: { kind: 'ready', label: 'small · ctx 4096' } });
    assert.match(await page.locator('[data-testid=empty-status]').innerText(), /Model: small-Q4_K_M\.gguf · running/);
    await postToChat(page, { type: 'entryAdded', entry: question });
    assert.equal(await empty.isVisible(), false, 'gone once the chat has a message');
  });

  test('the host\'s History action opens the past chats and puts the keyboard in the list', async () => {
    const withChats = snapshot([], false);
    assert.ok(withChats.type === 'snapshot');
    withChats.chats = [{ id: 'c1', title: 'Old chat', updatedAt: 1, messages: 2 }];
    await postToChat(page, withChats);
    assert.equal(await page.locator('[data-testid=history]').isVisible(), false);
    await postToChat(page, { type: 'showHistory' });
    assert.equal(await page.getByRole('navigation', { name: 'Past chats' }).isVisible(), true);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Old chat');
  });
});
