// Code completion (issue 14) in real VS Code (code-server + Chromium), driven as a user would: with a
// generated model that declares FIM tokens, type at the end of a line of a JavaScript file, a ghost text
// appears, Tab accepts it into the document; then the same session restarts on the tiny model without FIM
// tokens: one notification says why there is no completion (once, however many keystrokes), the status bar
// says so too, and no ghost text appears; then headroom.completion.modelPath names the FIM model, which runs on
// a second llama-server beside the chat model and completes. Each scenario saves a screenshot.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { llamaServersWith } from '../fixtures/processes';
import { e2eUnavailable, Session, sleep, waitUntil, scenarioRunner } from './harness';

const CALC_JS = [
  'const offset = 3;', // 1
  '', // 2
  'function scale(value, factor) {', // 3
  '  return value * factor + offset;', // 4
  '}', // 5
  '', // 6
  'const total = scale(2, 5);', // 7
  'console.log(total);', // 8
  '',
].join('\n');

describe('Headroom code completion in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  const models = mkdtempSync(join(tmpdir(), 'headroom-e2e-fim-'));
  const fimModel = join(models, 'tiny-fim.gguf');
  const { scenario } = scenarioRunner(() => s);

  before(
    async () => {
      await writeModel(fimModel, 'tiny-dense', { fim: true });
      s = await Session.open({
        name: 'completion',
        settings: { 'headroom.modelPath': fimModel, 'headroom.contextSize': 2048, 'headroom.completion.debounceMs': 100, 'headroom.completion.maxTokens': 24 },
      });
      writeFileSync(join(s.workspace, 'calc.js'), CALC_JS);
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
    rmSync(models, { recursive: true, force: true });
  });

  function editor(current: Session): Locator {
    return current.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** Ghost text: the inline part on the cursor's line and any lines below it. */
  function ghost(current: Session): Locator {
    return editor(current).locator('.ghost-text-decoration, .ghost-text');
  }

  const spaces = (text: string): string => text.replace(/\u00a0/g, ' ');

  async function ghostText(current: Session): Promise<string> {
    return spaces((await ghost(current).allInnerTexts().catch(() => [])).join(''));
  }

  /** The ghost text on the cursor's own line. */
  async function inlineGhost(current: Session): Promise<string> {
    return spaces((await editor(current).locator('.ghost-text-decoration').allInnerTexts().catch(() => [])).join(''));
  }

  async function openCalc(current: Session): Promise<void> {
    await current.quickOpen('calc.js');
    await current.page.locator('.tabs-container .tab.active', { hasText: 'calc.js' }).waitFor({ timeout: 30_000 });
    await editor(current).locator('.view-lines').first().click();
  }

  /** Ctrl+G to the end of line `n`. */
  async function endOfLine(current: Session, n: number): Promise<void> {
    await current.goTo(`${n}`);
    await current.page.keyboard.press('End');
  }

  /** Types `text` as a user would, until a ghost text shows (a random model's fill is now and then blank); what was typed. */
  async function typeUntilGhost(current: Session, text: string): Promise<string> {
    let typed = '';
    for (const key of text) {
      await current.page.keyboard.type(key, { delay: 60 });
      typed += key;
      // Long enough for an answer on a busy two-core machine; the next keystroke would cancel it.
      const shown = await waitUntil('a ghost text', async () => (await inlineGhost(current)).trim() !== '', 10_000, 100).catch(() => false);
      if (shown) break;
    }
    return typed;
  }

  function completionItem(current: Session): Locator {
    return current.page.locator('.statusbar-item[id$="headroom.completion"]');
  }

  test('a FIM model: typing shows a ghost text, Tab accepts it', async () => {
    await scenario('completion-1-ghost', async (current) => {
      await current.ensureReady();
      await openCalc(current);
      await endOfLine(current, 8);
      await current.page.keyboard.press('Enter');
      const typed = await typeUntilGhost(current, 'const result = scale(total, 2);');
      const inline = await inlineGhost(current);
      if (!inline.trim()) for (const [name, text] of current.outputLogs()) process.stdout.write(`# ${name}:\n${text.split('\n').filter((l) => /completion|error|warn/i.test(l)).join('\n')}\n`);
      assert.notEqual(inline.trim(), '', `a ghost text appeared after typing ${JSON.stringify(typed)}`);
      process.stdout.write(`ghost text after typing ${JSON.stringify(typed)}: ${JSON.stringify(inline)} (all parts: ${JSON.stringify(await ghostText(current))})\n`);
      await current.screenshot('completion-1-ghost-shown');
      await current.page.keyboard.press('Tab');
      await waitUntil('the ghost text to be gone after Tab', async () => (await ghost(current).count()) === 0, 10_000);
      await current.page.keyboard.press('Control+S');
      const line9 = `${typed}${inline}`;
      const saved = await waitUntil('calc.js saved with the accepted suggestion', () => {
        const text = readFileSync(join(current.workspace, 'calc.js'), 'utf8');
        return text.split('\n')[8] === line9 && text;
      }, 15_000).catch(() => readFileSync(join(current.workspace, 'calc.js'), 'utf8'));
      assert.equal(saved.split('\n')[8], line9, 'line 9 is what was typed, then the accepted ghost text');
      assert.equal(await completionItem(current).isVisible(), true);
    });
  });

  test('a model without FIM: one sentence why and which model to use, no ghost text however much is typed', async () => {
    await scenario('completion-2-no-fim', async (current) => {
      current.updateWorkspaceSettings({ 'headroom.modelPath': current.modelPath });
      await current.restartModel();
      const toast = current.page.locator('.notification-toast', { hasText: 'Code completion is off because' });
      await toast.first().waitFor({ timeout: 60_000 });
      const sentence = await toast.first().innerText();
      assert.match(sentence, /no fill-in-the-middle tokens \(missing: prefix, suffix, middle\)/);
      assert.match(sentence, /for completion use Qwen2\.5-Coder [\d.]+B Instruct/);
      await openCalc(current);
      await endOfLine(current, 8);
      await current.page.keyboard.press('Enter');
      for (const key of 'let y = ') {
        await current.page.keyboard.type(key, { delay: 80 });
        await sleep(400);
      }
      await sleep(2000);
      assert.equal(await ghost(current).count(), 0, 'no ghost text');
      // Toasts hide after a while; the log keeps every time the sentence was said.
      const said = [...current.outputLogs().values()].join('\n').split('Code completion is off because').length - 1;
      assert.equal(said, 1, 'the sentence is said once, not per keystroke');
      await completionItem(current).hover();
      await sleep(800);
    });
  });

  test('a second model for completion: the FIM model runs on its own server beside the chat model without FIM, and completes', async () => {
    await scenario('completion-3-second-model', async (current) => {
      current.updateWorkspaceSettings({ 'headroom.modelPath': current.modelPath, 'headroom.completion.modelPath': fimModel });
      const [chatBefore] = current.llamaServers();
      await current.runCommand('Headroom: Restart Local Model');
      await waitUntil('a new chat server beside the completion server', () => {
        const chat = current.llamaServers();
        return chat.length === 1 && chat[0] !== chatBefore && llamaServersWith(fimModel).length === 1;
      }, 120_000).catch((err: unknown) => {
        for (const [name, text] of current.outputLogs()) process.stdout.write(`# ${name}:\n${text.split('\n').filter((l) => /completion|server|plan|error|warn/i.test(l)).slice(-40).join('\n')}\n`);
        throw err;
      });
      await current.waitForReadyStatus('the status bar to show ready after Restart', 60_000);
      const logs = (): string => [...current.outputLogs().values()].join('\n');
      await waitUntil('the completion model to be up', () => /completion model: tiny-fim\.gguf \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+/.test(logs()), 60_000);
      assert.match(logs(), /plan \(dry-run\): (\d+ MiB|\d+\.\d GiB) kept for the completion model \(/, 'the chat plan kept the completion model\'s memory free');
      await openCalc(current);
      await endOfLine(current, 7);
      await current.page.keyboard.press('Enter');
      const typed = await typeUntilGhost(current, 'const other = scale(offset, 4);');
      assert.notEqual((await inlineGhost(current)).trim(), '', `a ghost text from the second model after typing ${JSON.stringify(typed)}`);
      await current.screenshot('completion-3-second-model-ghost');
    });
  });
});
