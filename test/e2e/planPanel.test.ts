// "Seeing the plan" in real VS Code (code-server) and real Chromium: "Headroom: Show Memory Plan" before any
// start (the no-plan state, then "Plan the configured model": bars, table, source, reasons, the command line and
// its Copy), the same panel following Start Local Model to the running server's port, and the status-bar
// tooltip's plan summary. One VS Code session serves the scenarios, in order; each saves a screenshot.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { contrastInEveryTheme, type ContrastTargets } from './contrast';
import { e2eUnavailable, Session, waitUntil, scenarioRunner } from './harness';
import { itemAt } from '../fixtures/itemAt';


/** What the plan panel shows, and the contrast each must reach (WCAG AA for text). */
const PLAN_CONTRAST: ContrastTargets = {
  '.plan-header .source': 4.5,
  '.model-path': 4.5,
  '.device-label': 4.5,
  '.device-numbers': 4.5,
  '.legend-item': 4.5,
  '[data-testid=plan-table] th': 4.5,
  '[data-testid=plan-table] td': 4.5,
  'section.reasons li': 4.5,
  '[data-testid=plan-facts]': 4.5,
  '[data-testid=plan-command]': 4.5,
  '[data-testid=plan-copy]': 4.5,
};

/** The value after `--port` in a command line (shell words or /proc's NUL-separated argv). */
function portOf(words: string[]): number | undefined {
  const i = words.indexOf('--port');
  return i >= 0 ? Number(words[i + 1]) : undefined;
}

describe('Headroom: Show Memory Plan in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;

  const { scenario } = scenarioRunner(() => s);

  /** The plan panel's document: the only Headroom webview open (the Chat view is never opened here). */
  function plan(current: Session): FrameLocator {
    return current.chatFrame();
  }

  async function commandLine(frame: FrameLocator): Promise<string> {
    return (await frame.locator('[data-testid=plan-command]').innerText()).trim();
  }

  before(
    async () => {
      s = await Session.open({ name: 'plan-panel' });
      const page = s.page;
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  test('before any start: the no-plan state, "Plan the configured model" draws the dry run, Copy copies the command line', async () => {
    await scenario('1-plan-before-start', async (current) => {
      const page = current.page;
      assert.deepEqual(current.llamaServers(), [], 'no llama-server before the plan');
      await current.runCommand('Headroom: Show Memory Plan');
      await page.locator('.tab', { hasText: 'Headroom: Memory Plan' }).waitFor({ timeout: 30_000 });
      const frame = plan(current);

      // No plan yet: the offer to plan the configured model.
      const empty = frame.locator('[data-testid=plan-empty]');
      await empty.waitFor({ timeout: 30_000 });
      assert.match(await empty.innerText(), /No plan yet/);
      await current.screenshot('1a-no-plan');
      const planButton = frame.locator('[data-testid=plan-compute]');
      assert.equal((await planButton.innerText()).trim(), 'Plan the configured model');
      await planButton.click();

      // The dry run draws the plan.
      const started = Date.now();
      await frame.locator('[data-testid=plan-command]').waitFor({ timeout: 120_000 });
      process.stdout.write(`plan drawn ${((Date.now() - started) / 1000).toFixed(1)} s after the click\n`);
      assert.equal(await frame.locator('[data-testid=plan-error]').count(), 0, 'no planning error');
      assert.equal(current.llamaServers().length, 0, 'planning starts no llama-server');

      // Devices: this machine has no GPU, so one RAM bar, with coloured segments.
      const devices = frame.locator('[data-testid=plan-device]');
      assert.equal(await devices.count(), 1, 'one device (RAM) on a machine without a GPU');
      assert.match(await devices.first().locator('.device-label').innerText(), /^RAM$/);
      const bar = devices.first().locator('[data-testid=plan-bar]');
      const segments = await bar.locator('.segment').evaluateAll((nodes) =>
        nodes.map((n) => ({ kind: (n as HTMLElement).dataset.kind ?? '', width: n.getBoundingClientRect().width })),
      );
      process.stdout.write(`RAM bar segments: ${segments.map((x) => `${x.kind} ${x.width.toFixed(0)} px`).join(', ')}\n`);
      assert.ok(segments.length >= 2, 'the RAM bar is drawn in segments');
      assert.ok(segments.some((x) => x.kind === 'kv' || x.kind === 'weights'), 'the bar shows what the model takes');
      assert.ok(segments.every((x) => x.width > 0), 'every drawn segment takes room');
      assert.match((await bar.getAttribute('aria-label')) ?? '', /^RAM, [\d.]+ GiB: \w/);

      // The table: a header row in MiB and a RAM row of whole numbers.
      const table = frame.locator('[data-testid=plan-table]');
      assert.deepEqual(
        (await table.locator('thead th').allInnerTexts()).map((t) => t.trim()),
        ['MiB', 'Total', 'Other programs', 'Weights', 'KV cache', 'Compute', 'Free after load', 'Margin'],
      );
      const rows = table.locator('tbody tr');
      assert.equal(await rows.count(), 1);
      assert.equal((await rows.first().locator('th').innerText()).trim(), 'RAM');
      const cells = (await rows.first().locator('td').allInnerTexts()).map((t) => t.trim());
      process.stdout.write(`RAM row (MiB): ${cells.join(' | ')}\n`);
      assert.equal(cells.length, 7);
      for (const cell of cells) assert.match(cell, /^-?\d+$/, `a whole number of MiB: ${cell}`);
      // (7 cells, asserted above; a NaN would fail every check below.)
      const [total = NaN, other = NaN, weights = NaN, kv = NaN, compute = NaN, left = NaN, margin = NaN] = cells.map(Number);
      assert.ok(total > 0 && other >= 0 && weights >= 0 && kv > 0 && compute >= 0 && margin > 0, `sane numbers: ${cells.join(', ')}`);
      // (The generated tiny model's weights are well under 1 MiB: llama.cpp reports them as 0 MiB.)
      assert.ok(Math.abs(total - other - weights - kv - compute - left) <= 2, `the row adds up: ${cells.join(', ')}`);
      // The bar draws the table's numbers: a segment for each non-zero part, and no other.
      const kinds = segments.map((x) => x.kind).sort();
      const expected = [
        ...(weights > 0 ? ['weights'] : []),
        ...(kv > 0 ? ['kv'] : []),
        ...(compute > 0 ? ['compute'] : []),
        ...(other > 0 ? ['other'] : []),
        ...(Math.min(Math.max(left, 0), margin) > 0 ? ['margin'] : []),
        ...(left - margin > 0 ? ['free'] : []),
      ].sort();
      // Sub-MiB parts are drawn although the table rounds them to 0, so the table's list is a lower bound.
      for (const kind of expected) assert.ok(kinds.includes(kind), `a ${kind} segment (bar: ${kinds.join(', ')}; table: ${cells.join(', ')})`);

      // Where the numbers come from, why, and the configuration.
      assert.equal((await frame.locator('[data-testid=plan-source]').innerText()).trim(), 'Dry run');
      assert.match(await frame.locator('.plan-header .source').innerText(), /Numbers: dry run of this llama\.cpp build/);
      assert.ok((await frame.locator('section.reasons li').count()) > 0, 'the plan says why');
      const facts = await frame.locator('[data-testid=plan-facts]').innerText();
      assert.match(facts, /layers on GPU \(CPU only\)/);

      // The command line.
      const shown = await commandLine(frame);
      process.stdout.write(`command line shown: ${shown}\n`);
      const words = shown.split(/\s+/);
      assert.equal(words[0], 'LLAMA_API_KEY=<key>', 'the key is a placeholder, never its value');
      assert.match(itemAt(words, 1), /(^|\/)llama-server$/);
      assert.equal(words[words.indexOf('--model') + 1], current.modelPath);
      assert.equal(words[words.indexOf('--host') + 1], '127.0.0.1');
      assert.equal(words[words.indexOf('--fit') + 1], 'off');
      assert.ok(words.includes('--ctx-size') && words[words.indexOf('--ctx-size') + 1] === '1024', 'the configured context');
      await current.screenshot('1b-plan-drawn');
      const commandShot = join(current.artifacts, '1b-command-line.png');
      await frame.locator('[data-testid=plan-command]').screenshot({ path: commandShot });
      process.stdout.write(`screenshot: ${commandShot}\n`);

      // Copy, then paste with the keyboard into a new untitled editor.
      const copy = frame.locator('[data-testid=plan-copy]');
      await copy.click();
      await waitUntil('the Copy button to say Copied', async () => (await copy.innerText()).trim() === 'Copied', 10_000, 50);
      await current.runCommand('File: New Untitled Text File');
      await page.locator('.tab.active', { hasText: /Untitled/ }).waitFor({ timeout: 15_000 });
      const editor = page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first();
      await editor.click();
      await page.keyboard.press('Control+V');
      const pasted = await waitUntil('the paste to reach the editor', async () => {
        const text = (await editor.innerText().catch(() => '')).replace(/\u00a0/g, ' ').trim();
        return text.includes('llama-server') && text;
      }, 10_000, 100);
      process.stdout.write(`pasted: ${pasted}\n`);
      assert.equal(pasted, shown, 'the clipboard held exactly the command line the panel shows');
      assert.match(pasted, /LLAMA_API_KEY=<key> /);
      assert.doesNotMatch(pasted, /--api-key/, 'no --api-key on the command line');
      assert.equal(pasted.match(/LLAMA_API_KEY=(\S+)/)?.[1], '<key>', 'no key value on the clipboard');
      await current.screenshot('1c-pasted');

      // Close the scratch editor without saving; the plan panel comes back to the front.
      await current.runCommand('View: Revert and Close Editor');
      await page.locator('.tab.active', { hasText: 'Headroom: Memory Plan' }).waitFor({ timeout: 15_000 });
      await frame.locator('[data-testid=plan-command]').waitFor({ timeout: 30_000 });
    });
  });

  test('Start Local Model: the open panel follows to the running plan, with the real port of llama-server', async () => {
    await scenario('2-plan-running', async (current) => {
      const page = current.page;
      const frame = plan(current);
      await frame.locator('[data-testid=plan-command]').waitFor({ timeout: 30_000 });
      const before = await commandLine(frame);

      await current.runCommand('Headroom: Start Local Model');
      await current.waitForReadyStatus('the status bar to show the ready server', 180_000);
      const [pid] = await waitUntil('one llama-server', () => {
        const pids = current.llamaServers();
        return pids.length === 1 && pids;
      }, 10_000);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const port = portOf(argv);
      assert.ok(port && port > 0, `llama-server has a --port (argv: ${argv.join(' ')})`);
      process.stdout.write(`llama-server pid ${pid} on port ${port}\n`);

      // The panel was not opened again: it is the same tab, and it now draws the running server's plan.
      await page.locator('.tab.active', { hasText: 'Headroom: Memory Plan' }).waitFor({ timeout: 15_000 });
      const shown = await waitUntil('the panel to show the running port', async () => {
        const text = await commandLine(frame).catch(() => '');
        return portOf(text.split(/\s+/)) === port && text;
      }, 30_000, 200).catch(async (err: unknown) => {
        throw new Error(`${String(err)}; the panel shows: ${await commandLine(frame).catch(() => '?')} (before the start: ${before})`);
      });
      process.stdout.write(`command line shown while running: ${shown}\n`);
      const words = shown.split(/\s+/);
      assert.equal(words[0], 'LLAMA_API_KEY=<key>');
      assert.equal(words[words.indexOf('--model') + 1], current.modelPath);
      assert.equal(words[words.indexOf('--host') + 1], '127.0.0.1');
      // The panel's arguments are the ones llama-server runs with (its binary, as launched, aside).
      const launched = argv.slice(1).filter((w, i, all) => w !== '--api-key' && all[i - 1] !== '--api-key');
      assert.deepEqual(words.slice(2), launched, 'the panel shows the arguments llama-server was started with');
      assert.equal((await frame.locator('[data-testid=plan-source]').innerText()).trim(), 'Dry run');
      assert.equal(await frame.locator('[data-testid=plan-device]').count(), 1);
    });
  });

  test('the status-bar tooltip summarizes the plan: layers on GPU and where the KV cache lives', async () => {
    await scenario('3-status-tooltip', async (current) => {
      const page = current.page;
      await current.waitForReadyStatus('the status bar to show the ready server', 60_000);
      const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'Headroom' }).filter({ visible: true }).first();
      const text = await waitUntil('the tooltip', async () => {
        await page.mouse.move(5, 5);
        await current.statusItem().first().hover();
        const shown = await hover.innerText({ timeout: 3_000 }).catch(() => '');
        return /Plan \(/.test(shown) && shown;
      }, 30_000, 500);
      process.stdout.write(`tooltip: ${JSON.stringify(text)}\n`);
      assert.match(text, /Plan \(dry run of this llama\.cpp build\): \d+\/\d+ layers on GPU/);
      assert.match(text, /layers/);
      assert.match(text, /KV cache \S+ in (RAM|GPU|GPU \+ RAM)/);
      assert.match(text, /ctx 1024/);
      // The model's name in its code span reads as the file is named (no Markdown escapes showing).
      assert.match(text, /Model: tiny-dense-Q8_0\.gguf/);
    });
  });

  test('themes: in light, dark and both high-contrast themes every text of the panel reads at WCAG AA contrast', async () => {
    await scenario('4-themes', async (current) => {
      await plan(current).locator('[data-testid=plan-command]').waitFor({ timeout: 30_000 });
      const failures = await contrastInEveryTheme(current, await current.chatFrameHandle(), PLAN_CONTRAST, '4-theme');
      assert.deepEqual(failures, [], 'texts below their contrast target');
    });
  });
});
