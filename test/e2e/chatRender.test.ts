// How the chat view draws a very long reply, in real Chromium with the real webview bundle (no VS Code around
// it: what is measured is the page's own work). Opening a past chat whose reply is 20,000 tokens must not
// freeze the view: the end, where the view opens, is drawn at once and the rest fills in above it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath, openChatPage, snapshot } from '../fixtures/chatPage';
import { requireTool } from '../fixtures/requireTool';

const SECTIONS = 80;

/** About 150,000 characters: numbered sections, each prose, a list and a code block naming its number. */
function longReply(): string {
  const prose = 'The planner keeps the KV cache on the GPU while it fits, and moves expert tensors first. '.repeat(20);
  return Array.from({ length: SECTIONS }, (_, i) => `## Section ${i}\n\n${prose}\n\n- point ${i}.a\n- point ${i}.b\n\n\`\`\`ts\nconst s${i} = ${i};\n\`\`\`\n\n`).join('');
}

describe('the chat view in real Chromium: a 20,000-token reply opened from history', { skip: requireTool('Chromium', chromiumPath(), 'apt-get install chromium, or set CHROMIUM_PATH') }, () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    const { chromium } = await import('playwright-core');
    const executablePath = chromiumPath();
    assert.ok(executablePath, 'Chromium is installed');
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
    page = await openChatPage(browser);
  });
  after(async () => {
    await browser?.close();
  });

  test('its end is drawn in the first task, the rest fills in above it over later frames, in order, nothing lost', async () => {
    const text = longReply();
    assert.ok(text.length > 120_000, `${text.length} characters`);
    const first = await page.evaluate((message) => {
      const codes = () => [...document.querySelectorAll('.code-block code')].map((c) => c.textContent?.trim() ?? '');
      let seen: { codes: string[]; rendering: boolean } | undefined;
      // Registered after the view's own listener, so it runs in the same task, right after the view handled it.
      window.addEventListener('message', () => (seen = { codes: codes(), rendering: document.querySelector('[data-rendering=pieces]') !== null }), { once: true });
      window.postMessage(message, '*');
      return new Promise<{ codes: string[]; rendering: boolean }>((resolve) => setTimeout(() => resolve(seen ?? { codes: [], rendering: false }), 0));
    }, snapshot([{ id: 'u', role: 'user', text: 'Explain the planner.', status: 'complete' }, { id: 'a', role: 'assistant', text, status: 'complete' }], false));
    process.stdout.write(`first task drew ${first.codes.length} of ${SECTIONS} code blocks: ${first.codes.join(' | ')}\n`);
    assert.ok(first.rendering, 'the reply is drawn in pieces');
    assert.ok(first.codes.includes(`const s${SECTIONS - 1} = ${SECTIONS - 1};`), 'the end of the reply is there at once');
    assert.ok(!first.codes.includes('const s0 = 0;'), 'the beginning comes later');

    await page.waitForFunction(() => document.querySelector('[data-rendering]') === null, undefined, { timeout: 30_000 });
    const codes = await page.locator('.code-block code').allTextContents();
    assert.deepEqual(codes.map((c) => c.trim()), Array.from({ length: SECTIONS }, (_, i) => `const s${i} = ${i};`), 'every code block, in order');
    const headings = await page.locator('[data-role=assistant] h2').allTextContents();
    assert.deepEqual(headings, Array.from({ length: SECTIONS }, (_, i) => `Section ${i}`), 'every section, in order');
    // Off-screen pieces skip layout (content-visibility: auto), but their text is in the page.
    const all = (await page.locator('[data-role=assistant] [data-testid=message-text]').textContent()) ?? '';
    for (const i of [0, 1, SECTIONS / 2, SECTIONS - 1]) assert.ok(all.includes(`point ${i}.b`), `point ${i}.b is in the text`);
    // Pieces measured late (content-visibility) settle within a frame or two; the view must end at the bottom.
    const atBottom = await page
      .waitForFunction(() => {
        const el = document.querySelector('[data-testid=messages]');
        return el !== null && el.scrollTop + el.clientHeight >= el.scrollHeight - 40;
      }, undefined, { timeout: 5_000 })
      .then(() => true, () => false);
    const scroll = await page.locator('[data-testid=messages]').evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));
    assert.ok(atBottom, `the view is at the bottom (${JSON.stringify(scroll)})`);
  });

  test('opening another chat while pieces are still drawn stops them: only the new chat shows', async () => {
    const text = longReply();
    await page.evaluate((messages) => {
      for (const m of messages) window.postMessage(m, '*');
    }, [
      snapshot([{ id: 'a', role: 'assistant', text, status: 'complete' }], false),
      snapshot([{ id: 'b', role: 'assistant', text: 'A short answer.', status: 'complete' }], false),
    ]);
    await page.waitForFunction(() => document.querySelector('[data-testid=message]')?.textContent?.includes('A short answer.'), undefined, { timeout: 10_000 });
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal(await page.locator('[data-testid=message]').count(), 1);
    assert.equal(await page.locator('.code-block').count(), 0, 'no piece of the old reply was drawn into the page');
  });

  test('while a reply streams the view follows it; scrolled up by the user it stays put; back at the bottom it follows again', async () => {
    const post = (messages: unknown[]) => page.evaluate((list) => list.forEach((m) => window.postMessage(m, '*')), messages);
    const scroll = () => page.locator('[data-testid=messages]').evaluate((el) => ({ top: Math.round(el.scrollTop), gap: Math.round(el.scrollHeight - el.scrollTop - el.clientHeight) }));
    const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const paragraph = (i: number) => ({ type: 'entryDelta', id: 's', text: `Paragraph ${i}: the reply keeps streaming while the user reads.\n\n` });
    await post([snapshot([{ id: 'q', role: 'user', text: 'Go on.', status: 'complete' }, { id: 's', role: 'assistant', text: '', status: 'streaming' }], true)]);
    await post(Array.from({ length: 60 }, (_, i) => paragraph(i)));
    await frames();
    assert.ok((await scroll()).gap <= 32, `following at the bottom: ${JSON.stringify(await scroll())}`);

    await page.locator('[data-testid=messages]').hover();
    await page.mouse.wheel(0, -600);
    await frames();
    const readingAt = await scroll();
    assert.ok(readingAt.gap > 300, `scrolled up: ${JSON.stringify(readingAt)}`);
    await post(Array.from({ length: 30 }, (_, i) => paragraph(60 + i)));
    await frames();
    assert.equal((await scroll()).top, readingAt.top, 'new text does not pull the reader down');

    await page.mouse.wheel(0, 100_000);
    await frames();
    await post(Array.from({ length: 30 }, (_, i) => paragraph(90 + i)));
    await frames();
    assert.ok((await scroll()).gap <= 32, `following again: ${JSON.stringify(await scroll())}`);
  });
});
