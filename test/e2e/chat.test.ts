// The user's path through the packaged extension in real VS Code (code-server) and real Chromium: start from the
// palette, chat in the view (streaming, Stop, a second question), survive a kill -9 of llama-server, and read
// the output channels. One VS Code session serves the scenarios, in order; each saves a screenshot.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Locator } from 'playwright-core';
import { e2eUnavailable, READY_STATUS, Session, sleep, waitUntil, scenarioRunner } from './harness';
import { itemAt } from '../fixtures/itemAt';


describe('Headroom in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  let chat: FrameLocator;

  const { scenario } = scenarioRunner(() => s);

  function replies(): Locator {
    return chat.locator('[data-testid=message][data-role=assistant]');
  }

  async function textLength(entry: Locator): Promise<number> {
    return (await entry.locator('[data-testid=message-text]').innerText()).length;
  }

  /**
   * Sends a question and proves the reply streams: its text grows between samples while it is streaming.
   * The warm tiny model can write a whole reply faster than the view can be sampled, so llama-server runs
   * in short slices (SIGCONT/SIGSTOP), like a slow model, and is left paused for Stop to land mid-reply.
   */
  async function askAndWatchItStream(current: Session, question: string): Promise<{ reply: Locator; pid: number }> {
    const [pid] = current.llamaServers();
    assert.ok(pid, 'a llama-server runs');
    process.kill(pid, 'SIGSTOP');
    const before = await replies().count();
    const input = chat.locator('[data-testid=chat-input]');
    await input.fill(question);
    await input.press('Enter');
    await waitUntil('the reply to appear', async () => (await replies().count()) > before, 30_000, 100);
    const reply = replies().last();
    const lengths: number[] = [];
    for (let i = 0; i < 10; i++) {
      process.kill(pid, 'SIGCONT');
      await sleep(100);
      process.kill(pid, 'SIGSTOP');
      await sleep(300);
      lengths.push(await textLength(reply));
    }
    const grew = lengths.filter((n, i) => i > 0 && n > itemAt(lengths, i - 1)).length;
    assert.ok(grew >= 2, `the reply should grow while streaming (text lengths sampled: ${lengths.join(', ')})`);
    assert.equal(await reply.getAttribute('data-status'), 'streaming', `the reply should still be streaming (lengths: ${lengths.join(', ')})`);
    process.stdout.write(`reply lengths while streaming: ${lengths.join(', ')}\n`);
    return { reply, pid };
  }

  async function stop({ reply, pid }: { reply: Locator; pid: number }): Promise<void> {
    try {
      await chat.locator('[data-testid=stop]').click();
      await waitUntil('the reply to stop', async () => (await reply.getAttribute('data-status')) === 'stopped', 15_000, 100);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const stoppedAt = await textLength(reply);
    await sleep(800);
    assert.equal(await textLength(reply), stoppedAt, 'no text arrives after Stop');
    assert.match(await reply.locator('[data-testid=message-marker]').innerText(), /Stopped/);
  }

  before(
    async () => {
      // A long context, so that a reply of the random-weights model runs until Stop rather than filling it.
      s = await Session.open({ name: 'chat', settings: { 'headroom.contextSize': 8192 } });
      await s.recordStatusTexts();
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  test('the palette\'s "Start Local Model": the status bar goes from loading to ready with the memory readout', async () => {
    await scenario('1-start', async (current) => {
      assert.deepEqual(current.llamaServers(), [], 'no llama-server before Start');
      await current.runCommand('Headroom: Start Local Model');
      const ready = await current.waitForReadyStatus();
      const seen = await current.recordedStatusTexts();
      process.stdout.write(`status bar texts: ${JSON.stringify(seen)}\n`);
      const loading = seen.findIndex((t) => /Loading the model|Starting llama-server/.test(t));
      const readyAt = seen.findIndex((t) => READY_STATUS.test(t));
      assert.ok(loading >= 0, `the status bar showed loading (saw ${JSON.stringify(seen)})`);
      assert.ok(readyAt > loading, `ready came after loading (saw ${JSON.stringify(seen)})`);
      assert.match(ready, READY_STATUS);
      assert.equal(current.llamaServers().length, 1, 'exactly one llama-server runs the model');
    });
  });

  test('the Chat view: a reply streams in, Stop ends it early, a second question works', async () => {
    await scenario('2-chat', async (current) => {
      await current.ensureReady();
      chat = await current.openChat();
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 30_000 });
      const first = await askAndWatchItStream(current, 'Tell me a long story about llamas.');
      await stop(first);
      const second = await askAndWatchItStream(current, 'And another one, please.');
      await stop(second);
      assert.equal(await chat.locator('[data-testid=message][data-role=user]').count(), 2);
      assert.equal(await replies().count(), 2);
      // The speed of a reply reaches the status bar.
      await waitUntil('tokens/s in the status bar', async () => /tok\/s/.test(await current.statusText()), 10_000);
    });
  });

  test('kill -9 of llama-server: the view and the status bar say so, the conversation stays, restart works', async () => {
    await scenario('3-crash', async (current) => {
      await current.ensureReady();
      chat = await current.openChat();
      const messagesBefore = await chat.locator('[data-testid=message]').count();
      const [pid] = current.llamaServers();
      assert.ok(pid, 'a llama-server runs');
      await current.recordStatusTexts();
      process.kill(pid, 'SIGKILL');

      const state = chat.locator('[data-testid=server-state]');
      const detail = await waitUntil('the view to say it crashed', async () => /crashed/i.test(await state.innerText()) && ((await chat.locator('[data-testid=server-detail]').textContent()) ?? ''), 15_000, 50);
      // /proc/vmstat's OOM-kill counter did not move, so the view does not blame memory.
      assert.match(detail, /killed \(SIGKILL\) by another program or a user, not for lack of memory/);
      await current.screenshot('3-crash-shown');
      // The status bar said so too (it restarts after 1 s, so the text was recorded as it changed).
      await waitUntil('the status bar to say it crashed', async () => (await current.recordedStatusTexts()).some((t) => /crashed/i.test(t)), 10_000);
      assert.equal(await chat.locator('[data-testid=message]').count(), messagesBefore, 'the conversation is still there');

      // It restarts by itself after the backoff.
      await waitUntil('llama-server to restart by itself', () => current.llamaServers().some((p) => p !== pid), 30_000);
      await current.waitForReadyStatus('the status bar to show ready again', 60_000);
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 30_000 });

      // And the Restart command replaces it.
      await current.restartModel();
      assert.equal(await chat.locator('[data-testid=message]').count(), messagesBefore, 'the conversation survives Restart');

      // The restarted server answers.
      const reply = await askAndWatchItStream(current, 'Still there?');
      await stop(reply);
    });
  });

  test('the output channels "Headroom" and "Headroom Server" exist and hold the server\'s log', async () => {
    await scenario('4-output', async (current) => {
      await current.runCommand('Headroom: Show Server Log');
      const panel = current.page.locator('.part.panel');
      await waitUntil('the Output view to show llama-server lines', async () => /llama|server/i.test(await panel.innerText().catch(() => '')), 20_000);
      const channels = await current.page.evaluate(() =>
        [...document.querySelectorAll('.part.panel select option')].map((o) => (o.textContent ?? '').trim()),
      );
      process.stdout.write(`output channels listed: ${JSON.stringify(channels)}\n`);
      assert.ok(channels.includes('Headroom'), `"Headroom" is listed (${JSON.stringify(channels)})`);
      assert.ok(channels.includes('Headroom Server'), `"Headroom Server" is listed (${JSON.stringify(channels)})`);

      // The full text is in the channels' log files.
      const logs = [...current.outputLogs()];
      const server = logs.filter(([path]) => /Headroom Server\.log$/.test(path));
      const ours = logs.filter(([path]) => /[/-]Headroom\.log$/.test(path));
      assert.ok(server.length > 0, `a "Headroom Server" log file (${logs.map(([p]) => p).join(', ')})`);
      assert.ok(ours.length > 0, `a "Headroom" log file (${logs.map(([p]) => p).join(', ')})`);
      const serverText = server.map(([, text]) => text).join('\n');
      const ourText = ours.map(([, text]) => text).join('\n');
      assert.match(serverText, /load_model: loading model .*tiny-dense-Q8_0\.gguf/, 'the raw llama-server output');
      assert.match(serverText, /listening on http:\/\/127\.0\.0\.1:/);
      assert.match(ourText, /Headroom activated/);
      assert.match(ourText, /llama-server: .*llama-server/, 'our log names the llama-server it runs');
    });
  });
});
