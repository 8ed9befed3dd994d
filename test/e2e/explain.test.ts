// Inline explanations (issue 6) in real VS Code (code-server + Chromium), driven as a user would: select lines
// of a TypeScript file, "Explain Selection" from the editor's context menu, accept the offer to start the model,
// watch the explanation stream into a comment thread under the selection, Continue in Chat; then the keybinding
// with Stop and Insert as Comment, the palette with Dismiss, and the "Explain this problem" Quick Fix on a
// TypeScript error. One VS Code session serves the scenarios, in order; each saves a screenshot.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { e2eUnavailable, Session, sleep, waitUntil } from './harness';

const READY = /Headroom · server [\d.]+ [KMG]iB · RAM [\d.]+\/[\d.]+ GiB/;

const SUM_TS = [
  'const factor = 2;', // 1
  '', // 2
  'export function sum(xs: number[]): number {', // 3
  '  let total = 0;', // 4
  '  for (const x of xs) total += x * factor;', // 5
  '  return total;', // 6
  '}', // 7
  '', // 8
  'console.log(sum([1, 2, 3]));', // 9
  '',
].join('\n');

/** A file with one TypeScript error, on `label` (line 5, columns 7-11). */
const PROBLEM_TS = [
  'export function half(n: number): number {', // 1
  '  return n / 2;', // 2
  '}', // 3
  '', // 4
  "export const label: number = 'not a number';", // 5
  '',
].join('\n');

describe('Headroom Explain in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;

  function session(): Session {
    assert.ok(s, 'the VS Code session did not open');
    return s;
  }

  /** Runs a scenario and saves its screenshot whether it passes or not. */
  async function scenario(name: string, body: (s: Session) => Promise<void>): Promise<void> {
    const current = session();
    try {
      await body(current);
    } finally {
      await current.screenshot(name).catch((err: unknown) => process.stderr.write(`# screenshot ${name} failed: ${String(err)}\n`));
    }
  }

  /** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor to be the active one. */
  async function openFile(current: Session, name: string): Promise<Locator> {
    const page = current.page;
    const input = page.locator('.quick-input-widget input');
    await waitUntil(`Quick Open to take "${name}"`, async () => {
      if (!(await input.isVisible())) {
        await page.locator('.monaco-workbench').click({ position: { x: 700, y: 300 }, force: true }).catch(() => undefined);
        await page.keyboard.press('Control+P');
        await input.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      }
      if (!(await input.isVisible())) return false;
      await input.fill(name);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 5_000 });
      } catch {
        await page.keyboard.press('Escape');
        return false;
      }
      await row.click();
      return true;
    }, 60_000, 500);
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.view-lines').waitFor();
    return editor;
  }

  /** Selects whole lines `from`..`to` (1-based) with Ctrl+G and Shift+arrows, as a user would. */
  async function selectLines(current: Session, editor: Locator, from: number, to: number): Promise<void> {
    const page = current.page;
    await editor.locator('.view-lines').click();
    await goTo(current, `${from}`);
    for (let i = from; i < to; i++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
    await waitUntil(`lines ${from}-${to} to be selected`, async () => /\(\d+ selected\)/.test(await cursorStatus(current)), 10_000);
  }

  /** Ctrl+G, the line (or line:column), Enter. */
  async function goTo(current: Session, where: string): Promise<void> {
    const page = current.page;
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await input.fill(where);
    await sleep(200);
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /** The status bar's "Ln 3, Col 1 (60 selected)". */
  async function cursorStatus(current: Session): Promise<string> {
    const item = current.page.locator('.statusbar-item[id="status.editor.selection"]');
    return (await item.count()) ? (await item.innerText()).trim() : '';
  }

  function thread(current: Session, title: RegExp): Locator {
    return current.page.locator('.review-widget', { has: current.page.locator('.review-title', { hasText: title }) });
  }

  async function titleOf(widget: Locator): Promise<string> {
    return (await widget.locator('.review-title').first().innerText()).replace(/\s+/g, ' ').trim();
  }

  async function bodyLength(widget: Locator): Promise<number> {
    return (await widget.locator('.comment-body').first().innerText().catch(() => '')).trim().length;
  }

  /** Proves the explanation streams into the thread: its text grows between samples while the title says "explaining". */
  async function watchItStream(widget: Locator): Promise<number[]> {
    await waitUntil('the explanation text to appear', async () => (await bodyLength(widget)) > 0 && !/\*?(Starting|Waiting)/.test(await widget.locator('.comment-body').first().innerText()), 120_000, 100);
    const lengths: number[] = [];
    for (let i = 0; i < 8; i++) {
      lengths.push(await bodyLength(widget));
      if (!/explaining/.test(await titleOf(widget))) break;
      await sleep(150);
    }
    const grew = lengths.filter((n, i) => i > 0 && n > lengths[i - 1]).length;
    process.stdout.write(`explanation lengths while streaming: ${lengths.join(', ')}\n`);
    assert.ok(grew >= 2, `the explanation should grow while streaming (text lengths sampled: ${lengths.join(', ')})`);
    return lengths;
  }

  /** The thread's title action with this label (Continue in Chat, Insert as Comment, Stop Explaining, Dismiss). */
  function action(widget: Locator, label: string): Locator {
    return widget.locator(`.action-label[aria-label="${label}"]`).first();
  }

  before(
    async () => {
      // A context of 4096 leaves the answer 1024 tokens: long enough to watch it stream on two cores.
      s = await Session.open({ name: 'explain', settings: { 'headroom.contextSize': 4096 } });
      writeFileSync(join(s.workspace, 'sum.ts'), SUM_TS);
      writeFileSync(join(s.workspace, 'problem.ts'), PROBLEM_TS);
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  test('context menu "Explain Selection": offers to start the model, streams under the selection, Continue in Chat', async () => {
    await scenario('explain-1-done', async (current) => {
      const page = current.page;
      assert.deepEqual(current.llamaServers(), [], 'no llama-server before Explain');
      const editor = await openFile(current, 'sum.ts');
      await selectLines(current, editor, 3, 7);

      // Right-click inside the selection (outside it would move the cursor) and pick our entry.
      await editor.locator('.view-line', { hasText: 'let total = 0;' }).click({ button: 'right' });
      const entry = page.locator('.monaco-menu .action-item', { hasText: 'Explain Selection' }).first();
      await entry.waitFor({ state: 'visible', timeout: 10_000 });
      await entry.click();

      // No server runs: it offers to start the configured model instead of failing.
      const offer = page.locator('.notifications-toasts .notification-toast', { hasText: 'no model is running' });
      await offer.waitFor({ timeout: 20_000 });
      await current.screenshot('explain-0-offer');
      await offer.locator('.monaco-button', { hasText: 'Start Local Model' }).click();

      const widget = thread(current, /sum\.ts:3-7/);
      await widget.waitFor({ timeout: 30_000 });
      await waitUntil('the status bar to show the ready server', async () => READY.test(await current.statusText()), 120_000);
      assert.equal(current.llamaServers().length, 1, 'Start Local Model ran one llama-server');

      await watchItStream(widget);
      assert.match(await titleOf(widget), /^Headroom: explaining sum\.ts:3-7\.\.\.$/);
      assert.ok(await action(widget, 'Stop Explaining').isVisible(), 'a Stop action while streaming');
      await current.screenshot('explain-1-streaming');

      // The thread sits under the selection: its top is below line 7's and above line 9's.
      const lineTop = async (text: string): Promise<number> => (await editor.locator('.view-line', { hasText: text }).first().boundingBox())?.y ?? NaN;
      const widgetBox = await widget.boundingBox();
      assert.ok(widgetBox, 'the thread is shown');
      const [line7, line9] = [await lineTop('  return total;'), await lineTop('console.log(sum')];
      assert.ok(widgetBox.y > line7 && widgetBox.y < line9, `the thread (y=${widgetBox.y}) is between line 6 (y=${line7}) and line 9 (y=${line9})`);

      await waitUntil('the explanation to finish', async () => !/explaining/.test(await titleOf(widget)), 180_000, 250);
      assert.match(await titleOf(widget), /^Headroom: sum\.ts:3-7$/, 'the title drops "explaining" when done');
      assert.ok(!(await action(widget, 'Stop Explaining').isVisible().catch(() => false)), 'no Stop once done');
      const answer = (await widget.locator('.comment-body').first().innerText()).trim();
      assert.ok(answer.length > 20, `an explanation was written (${answer.length} characters)`);

      // Continue in Chat: the exchange becomes the chat's conversation, in the sidebar.
      await action(widget, 'Continue in Chat').click();
      const chat = current.chatFrame();
      const user = chat.locator('[data-testid=message][data-role=user]');
      await user.first().waitFor({ timeout: 30_000 });
      assert.equal(await user.count(), 1, 'one user message');
      assert.match((await user.innerText()).replace(/\s+/g, ' '), /Explain the selected code from `?sum\.ts`? \(TypeScript, lines 3-7\)/);
      const replies = chat.locator('[data-testid=message][data-role=assistant]');
      assert.equal(await replies.count(), 1, 'one assistant message');
      const reply = (await replies.locator('[data-testid=message-text]').innerText()).trim();
      assert.ok(reply.length > 20, `the reply carries the explanation (${reply.length} characters)`);
      assert.equal(await replies.getAttribute('data-status'), 'complete');
    });
  });

  test('the keybinding (Ctrl+Alt+E), Stop, then Insert as Comment writes it above the selection in // comments', async () => {
    await scenario('explain-2-comment', async (current) => {
      const page = current.page;
      const editor = await openFile(current, 'sum.ts');
      // Dismiss the first thread so that only this one is on lines 3-7.
      const first = thread(current, /sum\.ts:3-7/);
      if (await first.count()) {
        await action(first.first(), 'Dismiss').click();
        await first.first().waitFor({ state: 'detached', timeout: 10_000 });
      }
      await selectLines(current, editor, 3, 7);
      await page.keyboard.press('Control+Alt+E');
      const widget = thread(current, /sum\.ts:3-7/);
      await widget.waitFor({ timeout: 30_000 });
      await watchItStream(widget);

      // Stop ends it early; nothing arrives after.
      const stop = action(widget, 'Stop Explaining');
      if (/explaining/.test(await titleOf(widget))) {
        await stop.click();
        await waitUntil('the explanation to stop', async () => /\(stopped\)$/.test(await titleOf(widget)), 15_000, 100);
        const stoppedAt = await bodyLength(widget);
        await sleep(800);
        assert.equal(await bodyLength(widget), stoppedAt, 'no text arrives after Stop');
        assert.match(await widget.locator('.comment-body').first().innerText(), /Stopped\./);
      }
      await current.screenshot('explain-2-stopped');

      await action(widget, 'Insert as Comment').click();
      await widget.waitFor({ state: 'detached', timeout: 10_000 });
      await editor.locator('.view-lines').click();
      await page.keyboard.press('Control+S');
      const onDisk = await waitUntil('sum.ts to be saved with the comment', () => {
        const text = readFileSync(join(current.workspace, 'sum.ts'), 'utf8');
        return text !== SUM_TS && text;
      }, 15_000);
      const lines = onDisk.split('\n');
      assert.deepEqual(lines.slice(0, 2), ['const factor = 2;', ''], 'lines 1-2 unchanged');
      const fn = lines.indexOf('export function sum(xs: number[]): number {');
      assert.ok(fn > 2, `the comment went above line 3 (the function is now at line ${fn + 1})`);
      const inserted = lines.slice(2, fn);
      assert.ok(inserted.length >= 1, 'at least one comment line');
      for (const line of inserted) assert.match(line, /^\/\/( |$)/, `an inserted line is a // comment: ${JSON.stringify(line)}`);
      assert.equal(lines.slice(fn).join('\n'), SUM_TS.split('\n').slice(2).join('\n'), 'the code from line 3 on is unchanged');
      process.stdout.write(`inserted ${inserted.length} comment lines above line 3\n`);
    });
  });

  test('the palette\'s "Headroom: Explain Selection", then Dismiss removes the thread', async () => {
    await scenario('explain-3-dismiss', async (current) => {
      const editor = await openFile(current, 'sum.ts');
      await selectLines(current, editor, 1, 1);
      await current.runCommand('Headroom: Explain Selection');
      const widget = thread(current, /sum\.ts:1(?![-\d])/);
      await widget.waitFor({ timeout: 30_000 });
      await waitUntil('the explanation text to appear', async () => (await bodyLength(widget)) > 0, 60_000, 100);
      await action(widget, 'Dismiss').click();
      await widget.waitFor({ state: 'detached', timeout: 10_000 });
      assert.equal(await current.page.locator('.review-widget').count(), 0, 'no thread left');
    });
  });

  test('the Quick Fix "Explain this problem" on a TypeScript error explains it in a thread', async () => {
    await scenario('explain-4-problem', async (current) => {
      const page = current.page;
      const editor = await openFile(current, 'problem.ts');
      // The TypeScript extension reports the error (its server starts on first use: give it time).
      await editor.locator('.squiggly-error').first().waitFor({ timeout: 120_000 });
      await editor.locator('.view-lines').click();
      await goTo(current, '5:16');
      const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Explain this problem' }).first();
      await waitUntil('the Quick Fix menu to offer "Explain this problem"', async () => {
        if (await fix.isVisible().catch(() => false)) return true;
        await page.keyboard.press('Escape');
        await page.keyboard.press('Control+.');
        await fix.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
        return fix.isVisible().catch(() => false);
      }, 60_000, 500);
      assert.match(await fix.innerText(), /Headroom: Explain this problem: Type 'string' is not assignable to type 'number'/);
      await current.screenshot('explain-4-quickfix');
      await fix.click();

      const widget = thread(current, /problem\.ts:5/);
      await widget.waitFor({ timeout: 30_000 });
      await waitUntil('the explanation text to appear', async () => (await bodyLength(widget)) > 0, 60_000, 100);
      await waitUntil('the explanation to finish', async () => !/explaining/.test(await titleOf(widget)), 180_000, 250);
      assert.match(await titleOf(widget), /^Headroom: problem\.ts:5$/);
      assert.ok((await bodyLength(widget)) > 20, 'an explanation was written');
    });
  });
});
