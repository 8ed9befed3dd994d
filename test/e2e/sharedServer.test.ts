// The shared server in real VS Code (code-server + Chromium): a fresh profile's first message starts the
// configured model and gets a reply with no error; a window reload re-attaches to the same llama-server;
// a second window (another page, so another extension host) uses that same server. Screenshots of each.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { e2eUnavailable, READY_STATUS, Session, waitUntil, scenarioRunner } from './harness';

describe('one llama-server shared by every window (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  const { scenario } = scenarioRunner(() => s);

  before(
    async () => {
      s = await Session.open({ name: 'shared' });
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  test('fresh profile, model in settings, nothing started: the first message starts the model and is answered with no error', async () => {
    await scenario('1-first-message', async (current) => {
      assert.deepEqual(current.llamaServers(), [], 'no llama-server before the message');
      const chat = await current.openChat();
      const input = chat.locator('[data-testid=chat-input]');
      await input.fill('Hello, are you there?');
      await input.press('Enter');
      const reply = chat.locator('[data-testid=message][data-role=assistant]').last();
      await reply.waitFor({ timeout: 30_000 });
      // The random-weights model writes until Stop: the reply is there once its text streams in.
      const text = reply.locator('[data-testid=message-text]');
      await waitUntil('the first reply to stream in', async () => ((await text.innerText().catch(() => '')) || '').length > 20, 240_000, 250);
      assert.equal(await chat.locator('[data-testid=message][data-status=error]').count(), 0, 'no error shown');
      assert.doesNotMatch(await chat.locator('body').innerText(), /not running/i);
      assert.equal(await chat.locator('[data-testid=message][data-role=user]').count(), 1, 'the message is there once');
      await current.screenshot('1-first-message-streaming');
      await chat.locator('[data-testid=stop]').click();
      await waitUntil('the reply to stop', async () => (await reply.getAttribute('data-status')) === 'stopped', 15_000, 100);
      assert.equal(current.llamaServers().length, 1);
      await current.waitForReadyStatus();
    });
  });

  test('a window reload re-attaches to the running llama-server: same pid, one process, attach time logged', async () => {
    await scenario('2-reload', async (current) => {
      const before = current.llamaServers();
      assert.equal(before.length, 1, 'one llama-server before the reload');
      await current.reloadWindow();
      await current.waitForReadyStatus('the reloaded window to show the server ready', 60_000);
      assert.deepEqual(current.llamaServers(), before, 'the same llama-server, no second one');
      const times = [...current.outputLogs().values()].flatMap((text) => [...text.matchAll(/attached or started at window open: .* in (\d+) ms/g)].map((m) => Number(m[1])));
      process.stdout.write(`re-attach at window open (ms): ${JSON.stringify(times)}\n`);
      assert.ok(times.length > 0, 'the reloaded window logged its re-attach');
    });
  });

  test('a second window shares the same llama-server', async () => {
    await scenario('3-two-windows', async (current) => {
      const before = current.llamaServers();
      assert.equal(before.length, 1);
      const second = await current.openSecondWindow();
      try {
        // Headroom activates on its view (or a command): open the Headroom container in the second window.
        const tab = second.locator('.activitybar .action-item', { has: second.locator('[aria-label^="Headroom"]') }).first();
        if (!/\bchecked\b/.test((await tab.getAttribute('class')) ?? '')) await tab.click();
        const item = second.locator('.statusbar-item[id$="headroom.status"]');
        await waitUntil('the second window to show the server ready', async () => READY_STATUS.test(((await item.first().innerText().catch(() => '')) || '').replace(/\s+/g, ' ')), 90_000);
        assert.deepEqual(current.llamaServers(), before, 'both windows use one llama-server');
        await second.screenshot({ path: join(current.artifacts, '3-two-windows-second.png') });
      } finally {
        await second.close();
      }
    });
  });
});
