// A server Headroom did not start, used from real VS Code (code-server + Chromium) with a fresh profile: a
// `headroom serve` on a free port is "the user's own llama-server" (discovery is pointed at its port through
// HEADROOM_DISCOVER_PORTS). The user picks it in "Select Model..." > "Use a running server...", gives its key,
// chats, and explains a selection; no llama-server of Headroom's own is started. Each scenario saves a screenshot.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { CLI } from '../fixtures/cliProcess';
import { realServer, tempDir, tinyModel } from '../integration/realServer';
import { e2eUnavailable, freePort, scenarioRunner, Session, waitUntil } from './harness';

interface Served {
  baseUrl: string;
  apiKey: string;
}

describe('Use a running server in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  let serve: ChildProcess | undefined;
  let served: Served;
  const dir = tempDir('e2e-endpoint');
  const { scenario } = scenarioRunner(() => s);

  before(
    async () => {
      const model = await tinyModel(dir.path);
      const port = await freePort();
      const env = { ...process.env, HEADROOM_CACHE_DIR: join(dir.path, 'cache'), HEADROOM_VERBOSE: '' };
      serve = spawn(process.execPath, [CLI, 'serve', '--model', model, '--llama-server', (await realServer()).path, '--port', String(port), '--ctx', '2048'], { env });
      const lines: Served[] = [];
      createInterface({ input: serve.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Served));
      served = await waitUntil('headroom serve to print its URL and key', () => lines[0], 120_000);
      s = await Session.open({ name: 'endpoints', env: { HEADROOM_DISCOVER_PORTS: `llama-server=${port}` } });
      writeFileSync(join(s.workspace, 'sum.ts'), 'export function sum(xs: number[]): number {\n  let total = 0;\n  for (const x of xs) total += x;\n  return total;\n}\n');
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
    if (serve && serve.exitCode === null) {
      const closed = new Promise((r) => serve?.on('close', r));
      serve.kill('SIGINT');
      await closed;
    }
    dir.dispose();
  });

  test('Select Model... > Use a running server...: the discovered llama-server asks for its key, then the status bar says whose it is', async () => {
    await scenario('endpoint-1-picked', async (current) => {
      const page = current.page;
      await current.runCommand('Headroom: Select Model...');
      const input = page.locator('.quick-input-widget input');
      const row = (text: string) => page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
      // Typed, then Enter, as a user would: the list re-renders when the scan for models ends, so a click may miss.
      await waitUntil('the model picker', async () => /select a model/.test(await page.locator('.quick-input-widget').innerText().catch(() => '')), 15_000);
      await input.fill('Use a running server');
      await row('Use a running server...').waitFor();
      await input.press('Enter');
      // Found at its port, it refuses /v1/models without a key: listed with what it said.
      const found = row(served.baseUrl);
      await found.waitFor({ timeout: 30_000 });
      assert.match(await found.innerText(), /needs an API key \(HTTP 401\)/);
      await current.screenshot('endpoint-0-discovered');
      await input.fill(served.baseUrl);
      await found.waitFor();
      await input.press('Enter');
      await waitUntil('the key prompt', async () => /API key for/.test(await page.locator('.quick-input-widget').innerText().catch(() => '')), 15_000);
      assert.equal(await input.getAttribute('type'), 'password');
      await input.fill(served.apiKey);
      await input.press('Enter');
      await page.locator('.notifications-toasts .notification-toast', { hasText: 'Chat and Explain now use' }).waitFor({ timeout: 30_000 });
      const status = await waitUntil('the status bar to name the server', async () => {
        const text = await current.statusText();
        return /llama-server · \S+/.test(text) && text;
      }, 30_000);
      assert.doesNotMatch(status, /RAM|GiB/, 'no memory numbers for a server Headroom did not start');
      assert.deepEqual(current.llamaServers(), [], 'Headroom started no llama-server of its own');
    });
  });

  test('the Chat view: the header says who manages it, a reply streams in from the running server', async () => {
    await scenario('endpoint-2-chat', async (current) => {
      const chat: FrameLocator = await current.openChat();
      const state = chat.locator('[data-testid=server-state][data-kind=ready]');
      await state.waitFor({ timeout: 30_000 });
      assert.match(await state.innerText(), new RegExp(`managed by llama-server at ${served.baseUrl.replace(/[.]/g, '\\.')}`));
      const input = chat.locator('[data-testid=chat-input]');
      await input.fill('Hello there');
      await input.press('Enter');
      const reply = chat.locator('[data-testid=message][data-role=assistant]').last();
      // The random-weights model writes until its context is full: the reply streaming in is the proof, then Stop.
      await waitUntil('the reply to stream in', async () => (await reply.locator('[data-testid=message-text]').innerText().catch(() => '')).trim().length > 20, 60_000, 250);
      // llama-server counts with its own /tokenize: exact numbers against the context it runs with, no estimate.
      const meter = chat.locator('[data-testid=context-meter-text]');
      await waitUntil('the meter to count', async () => /^Context: [1-9][\d,]* \/ 2,048 tokens$/.test((await meter.innerText()).trim()), 30_000, 250);
      await chat.locator('[data-testid=stop]').click();
      await waitUntil('the reply to end', async () => ['stopped', 'complete'].includes((await reply.getAttribute('data-status')) ?? ''), 30_000, 250);
      assert.deepEqual(current.llamaServers(), []);
    });
  });

  test('Explain Selection explains through the running server', async () => {
    await scenario('endpoint-3-explain', async (current) => {
      const page = current.page;
      await current.quickOpen('sum.ts');
      const editor = page.locator('.editor-group-container.active .monaco-editor').first();
      await editor.locator('.view-line', { hasText: 'let total = 0;' }).first().click();
      await page.keyboard.press('Control+A');
      await waitUntil('the file to be selected', async () => /\(\d+ selected\)/.test(await page.locator('.statusbar-item[id="status.editor.selection"]').innerText().catch(() => '')), 10_000);
      // The keybinding, not the palette: the harness's click to focus the workbench would drop the selection.
      await page.keyboard.press('Control+K');
      await page.keyboard.press('X');
      const widget = page.locator('.review-widget').first();
      await widget.waitFor({ timeout: 30_000 });
      await waitUntil('the explanation to finish', async () => {
        const title = (await widget.locator('.review-title').first().innerText().catch(() => '')).trim();
        return title !== '' && !/explaining/.test(title);
      }, 180_000, 250);
      const body = (await widget.locator('.comment-body').first().innerText()).trim();
      assert.ok(body.length > 20, `an explanation was written: ${body}`);
      assert.doesNotMatch(body, /Could not explain/);
      assert.deepEqual(current.llamaServers(), []);
    });
  });
});
