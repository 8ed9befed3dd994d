// The chat view as a user meets it in real VS Code (code-server + Chromium, the packaged .vsix): the first-run
// steps with buttons, codicons in the four theme kinds, actions on hover and focus, the accessibility tree while a
// reply streams and after, Up-arrow recall, New Chat and History as view-title actions, and a model switch that
// restarts llama-server on the other model. One VS Code session, scenarios in order, a screenshot each.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame, FrameLocator } from 'playwright-core';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { THEMES } from './contrast';
import { e2eUnavailable, llamaServersWith, scenarioRunner, Session, waitUntil } from './harness';

describe('the chat view looks and behaves like VS Code\'s own (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  let other = '';
  const { scenario } = scenarioRunner(() => s);

  before(
    async () => {
      s = await Session.open({
        name: 'chat-look',
        // Replies end by themselves after 40 tokens; the models folder is searched, so the switcher lists both models.
        settings: { 'headroom.extraServerArgs': ['--n-predict', '40'] },
        beforeStart: async (session) => {
          other = join(session.root, 'models', 'tiny-other-Q8_0.gguf');
          await writeModel(other, 'tiny-dense', { type: 'Q8_0', seed: 2 });
          session.updateWorkspaceSettings({ 'headroom.modelFolders': [join(session.root, 'models')] });
        },
      });
    },
    { timeout: 15 * 60_000 },
  );
  after(async () => {
    await s?.close();
    // close() makes sure of the session's first model; the switch started the other one.
    for (const pid of other ? llamaServersWith(other) : []) process.kill(pid, 'SIGKILL');
  });

  /** The codicon font as the webview has it: loaded, and a real glyph drawn in a button. */
  async function codiconDrawn(frame: Frame): Promise<{ loaded: boolean; family: string; width: number }> {
    return frame.evaluate(async () => {
      await document.fonts.ready;
      const icon = document.querySelector('[data-testid=attach-file] .codicon');
      const style = icon ? getComputedStyle(icon, '::before') : undefined;
      return { loaded: document.fonts.check('16px codicon'), family: style?.fontFamily ?? '', width: icon?.getBoundingClientRect().width ?? 0 };
    });
  }

  test('first run: the empty chat lists the steps and the configured model; its Start button starts it', async () => {
    await scenario('1-first-run', async (current) => {
      const chat = await current.openChat();
      const empty = chat.getByRole('region', { name: 'Getting started' });
      await waitUntil('the empty state to name the model', async () => /Model: tiny-dense-Q8_0\.gguf · not running/.test(await empty.innerText()), 30_000, 200);
      assert.equal(await empty.getByRole('listitem').count(), 3);
      const switcher = chat.getByRole('combobox', { name: 'Model (switching restarts the server)' });
      // Both of the session's models (other tools' folders on this machine may add more).
      const options = await waitUntil('the switcher to list both models', async () => {
        const texts = await switcher.locator('option').allTextContents();
        return ['tiny-dense-Q8_0 · ', 'tiny-other-Q8_0 · '].every((name) => texts.some((t) => t.startsWith(name))) && texts;
      }, 60_000, 250);
      process.stdout.write(`switcher: ${JSON.stringify(options)}\n`);
      assert.ok(options.every((o) => / · (GPU|GPU\+CPU|CPU|does not fit)$/.test(o)), `each model with its verdict: ${JSON.stringify(options)}`);
      assert.doesNotMatch(await chat.locator('[data-testid=header]').innerText(), /127\.0\.0\.1|http:/, 'no server URL in the header');
      for (const title of ['New Chat', 'Show Chat History']) assert.ok(await current.viewTitleAction(title).isVisible(), `"${title}" is a view-title action`);
      await current.screenshot('1-first-run-empty');

      await empty.getByRole('button', { name: 'Start', exact: true }).click();
      await current.waitForReadyStatus();
      await waitUntil('the empty state to say it runs', async () => /· running/.test(await empty.innerText()), 30_000, 200);
      assert.equal(current.llamaServers().length, 1);
    });
  });

  test('a reply: aria-busy while it streams, announced once when it ends; the accessibility tree names everything', async () => {
    await scenario('2-accessibility', async (current) => {
      const chat = await current.openChat();
      const frame = await current.chatFrameHandle();
      await frame.evaluate(() => {
        const w = window as unknown as { __announced: string[] };
        w.__announced = [];
        const region = document.querySelector('[data-testid=announcer]');
        if (region) new MutationObserver(() => w.__announced.push(region.textContent ?? '')).observe(region, { childList: true, characterData: true, subtree: true });
      });
      const [pid] = current.llamaServers();
      assert.ok(pid, 'a llama-server runs');
      // Paused, so the reply is caught while it streams.
      process.kill(pid, 'SIGSTOP');
      const reply = chat.locator('[data-testid=message][data-role=assistant]').last();
      try {
        const input = chat.getByRole('textbox', { name: 'Message to the model' });
        await input.fill('Say something about llamas.');
        await input.press('Enter');
        await waitUntil('the reply to start', async () => (await reply.getAttribute('data-status').catch(() => null)) === 'streaming', 30_000, 100);
        assert.equal(await reply.getAttribute('aria-busy'), 'true');
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await waitUntil('the reply to finish', async () => (await reply.getAttribute('data-status')) === 'complete', 120_000, 250);
      assert.equal(await reply.getAttribute('aria-busy'), null, 'aria-busy is gone');
      const announced = await frame.evaluate(() => (window as unknown as { __announced: string[] }).__announced);
      const text = (await reply.locator('[data-testid=message-text]').textContent()) ?? '';
      assert.equal(announced.length, 1, `announced once: ${JSON.stringify(announced)}`);
      assert.equal(announced[0], `Model replied: ${text.trim()}`);

      const tree = await chat.locator('body').ariaSnapshot();
      process.stdout.write(`accessibility tree:\n${tree}\n`);
      assert.match(tree, /- log "Chat transcript"/);
      assert.match(tree, /- meter "Context used"/);
      assert.doesNotMatch(tree, /- button\s*$/m, 'no unnamed button');
      const meter = await chat.getByRole('meter', { name: 'Context used' }).evaluate((el) => ['aria-valuemin', 'aria-valuemax', 'aria-valuenow', 'aria-valuetext'].map((a) => el.getAttribute(a) ?? ''));
      process.stdout.write(`meter: ${JSON.stringify(meter)}\n`);
      assert.equal(meter[0], '0');
      assert.ok(Number(meter[1]) >= 1024 && Number(meter[2]) > 0 && Number(meter[2]) <= Number(meter[1]), JSON.stringify(meter));
      assert.match(meter[3] ?? '', /^[\d,]+ of [\d,]+ tokens \(\d+%\)$/);
    });
  });

  test('actions show on hover and on keyboard focus; Up in the empty input recalls the last message', async () => {
    await scenario('3-actions-recall', async (current) => {
      const chat = await current.openChat();
      const reply = chat.locator('[data-testid=message][data-role=assistant]').last();
      const actions = reply.locator('[data-testid=message-actions]');
      const opacity = (): Promise<string> => actions.evaluate((el) => getComputedStyle(el).opacity);
      await chat.locator('[data-testid=chat-input]').hover();
      assert.equal(await opacity(), '0');
      await reply.hover();
      assert.equal(await opacity(), '1', 'shown on hover');
      await current.screenshot('3-actions-hover');
      await chat.locator('[data-testid=chat-input]').hover();
      await reply.getByRole('button', { name: 'Copy the reply' }).focus();
      assert.equal(await opacity(), '1', 'shown on keyboard focus');

      const input = chat.getByRole('textbox', { name: 'Message to the model' });
      await input.fill('');
      await input.press('ArrowUp');
      assert.equal(await input.inputValue(), 'Say something about llamas.');
      await input.fill('');
    });
  });

  test('codicons render in the four theme kinds', async () => {
    await scenario('4-themes', async (current) => {
      await current.openChat();
      const frame = await current.chatFrameHandle();
      for (const [theme, kind] of THEMES) {
        current.updateWorkspaceSettings({ 'workbench.colorTheme': theme });
        await waitUntil(`the view in ${theme}`, async () => (await frame.evaluate(() => document.body.dataset.vscodeThemeKind)) === kind, 30_000);
        const icons = await codiconDrawn(frame);
        process.stdout.write(`codicons in ${theme}: ${JSON.stringify(icons)}\n`);
        assert.ok(icons.loaded, `the codicon font is loaded in ${theme}`);
        assert.match(icons.family, /codicon/);
        assert.ok(icons.width > 0, `a glyph is drawn in ${theme}`);
        await current.page.mouse.move(900, 500);
        await current.screenshot(`4-theme-${kind}`);
      }
    });
  });

  test('History and New Chat are view-title actions', async () => {
    await scenario('5-title-actions', async (current) => {
      const chat: FrameLocator = await current.openChat();
      await current.viewTitleAction('Show Chat History').click();
      await chat.getByRole('navigation', { name: 'Past chats' }).waitFor({ timeout: 10_000 });
      await current.screenshot('5-history');
      await current.viewTitleAction('New Chat').click();
      await waitUntil('a new, empty chat', async () => (await chat.locator('[data-testid=message]').count()) === 0, 10_000, 100);
      assert.ok(await chat.getByRole('region', { name: 'Getting started' }).isVisible());
    });
  });

  test('switching the model in the header saves it and restarts llama-server on it', async () => {
    await scenario('6-switch-model', async (current) => {
      const chat = await current.openChat();
      const [before] = current.llamaServers();
      assert.ok(before, 'the first model runs');
      await chat.getByRole('combobox', { name: 'Model (switching restarts the server)' }).selectOption(other);
      await waitUntil('llama-server to run the other model', () => llamaServersWith(other).length === 1 && current.llamaServers().length === 0, 120_000, 250);
      await chat.locator('[data-testid=server-state][data-kind=ready]').waitFor({ timeout: 60_000 });
      assert.match(await chat.locator('[data-testid=server-state]').innerText(), /tiny-other-Q8_0/);
      assert.equal(current.workspaceSettings()['headroom.modelPath'], other, 'the choice is saved where the old one was');
      await waitUntil('the notice to clear', async () => !(await chat.locator('[data-testid=header-notice]').isVisible()), 30_000, 200);
      // The window's own "restart now?" prompt is not shown: the switch already restarted it.
      assert.equal(await current.page.locator('.notifications-toasts').getByText('apply when llama-server restarts').count(), 0);
    });
  });
});
