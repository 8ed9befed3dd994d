// Models (issue 7) in real VS Code (code-server + Chromium): "Select Model..." finds the GGUF files on the machine
// (here a folder named in headroom.modelFolders and a Hugging Face cache laid out as huggingface_hub does, both
// under a temporary folder the extension host is pointed at), groups them by source with the verdict for this
// machine, and saves the choice to the workspace's settings; Start Local Model then runs it. "Download Model..."
// fetches hf:owner/repo from the loopback stand-in for Hugging Face (test/integration/downloadServer.ts).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Locator } from 'playwright-core';
import { writeModel } from '../../src/extension/gguf/writer/models';
import { FakeHub } from '../integration/downloadServer';
import { e2eUnavailable, llamaServersWith, Session, sleep, waitUntil, scenarioRunner } from './harness';
import { itemAt } from '../fixtures/itemAt';

/** The verdicts a model can get (src/extension/models/verdict.ts and the planner's). */
const VERDICT = /fully on GPU|\d+\/\d+ layers on GPU|on CPU|does not fit/;

describe('Headroom models in real VS Code (code-server + Chromium)', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  let hub: FakeHub | undefined;
  // Everything the extension host may look at for models lives under `home`.
  const home = mkdtempSync(join(tmpdir(), 'headroom-e2e-models-home-'));
  const folder = join(home, 'my-models');
  const hfCache = join(home, 'hf', 'hub');
  const downloads = join(home, 'downloads');
  const folderModel = join(folder, 'coder-tiny-Q8_0.gguf');
  const hfSnapshot = join(hfCache, 'models--acme--tiny-coder-GGUF', 'snapshots', '0123456789abcdef');
  const hfModel = join(hfSnapshot, 'tiny-coder-Q4_0.gguf');

  const { scenario } = scenarioRunner(() => s);

  function quickInput(current: Session): Locator {
    return current.page.locator('.quick-input-widget input');
  }

  /** The rows of the open quick pick, in order: separators' labels and items' label, description and detail. */
  async function quickPickRows(current: Session): Promise<string[]> {
    return current.page.evaluate(() =>
      [...document.querySelectorAll('.quick-input-widget .quick-input-list .monaco-list-row')]
        .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')))
        .map((row) => ((row as HTMLElement).innerText ?? '').replace(/\s+/g, ' ').trim()),
    );
  }

  /** Types `filter` into the open quick pick and accepts the first row that shows `text`. */
  async function pick(current: Session, filter: string, text: string | RegExp): Promise<void> {
    const input = quickInput(current);
    await input.waitFor({ state: 'visible' });
    await input.fill(filter);
    const row = current.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible' });
    // The filtered list focuses its first row; Enter accepts it (a click can land while the list re-renders).
    await waitUntil(`"${String(text)}" to be the focused row`, async () => /\bfocused\b/.test((await row.getAttribute('class')) ?? ''), 10_000, 100);
    await current.page.keyboard.press('Enter');
  }

  before(
    async () => {
      // A folder of the user's own, and a Hugging Face cache (blobs, and snapshots linking to them).
      for (const dir of [folder, downloads, join(home, 'served')]) mkdirSync(dir, { recursive: true });
      await writeModel(folderModel, 'tiny-dense', { type: 'Q8_0', seed: 11 });
      const blobs = join(hfCache, 'models--acme--tiny-coder-GGUF', 'blobs');
      mkdirSync(blobs, { recursive: true });
      mkdirSync(hfSnapshot, { recursive: true });
      const blob = join(blobs, 'b'.repeat(64));
      await writeModel(join(blobs, 'tmp.gguf'), 'tiny-dense', { type: 'Q4_0', seed: 12 });
      renameSync(join(blobs, 'tmp.gguf'), blob);
      symlinkSync(join('..', '..', 'blobs', 'b'.repeat(64)), hfModel);

      hub = new FakeHub();
      const served = join(home, 'served', 'remote-tiny-Q4_0.gguf');
      await writeModel(served, 'tiny-dense', { type: 'Q4_0', seed: 13 });
      hub.addFile('acme/remote-tiny-GGUF', 'remote-tiny-Q4_0.gguf', { diskPath: served });
      // Two quants, so that the repository is listed for a choice.
      const other = join(home, 'served', 'remote-tiny-Q8_0.gguf');
      await writeModel(other, 'tiny-dense', { type: 'Q8_0', seed: 13 });
      hub.addFile('acme/remote-tiny-GGUF', 'remote-tiny-Q8_0.gguf', { diskPath: other });
      await hub.start();

      s = await Session.open({
        name: 'models',
        settings: { 'headroom.modelFolders': [folder], 'headroom.downloadFolder': downloads, 'headroom.huggingFaceBaseUrl': hub.baseUrl },
        // The other tools' folders point at empty ones, so that only these models are found (LM Studio's is under
        // the real home folder; there is none on a test machine).
        env: { HF_HUB_CACHE: hfCache, LLAMA_CACHE: join(home, 'llama-cache'), OLLAMA_MODELS: join(home, 'ollama') },
      });
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
    await hub?.stop();
    for (const pid of [...llamaServersWith(home)]) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  test('"Select Model...": both models grouped by source with a verdict; the choice goes to the workspace; Start runs it', async () => {
    await scenario('models-1-picker', async (current) => {
      await current.runCommand('Headroom: Select Model...');
      const input = quickInput(current);
      await waitUntil('the scan to finish', async () => /2 models found/.test((await input.getAttribute('placeholder')) ?? ''), 60_000);
      const rows = await quickPickRows(current);
      process.stdout.write(`picker rows: ${JSON.stringify(rows, null, 1)}\n`);
      const at = (re: RegExp): number => rows.findIndex((r) => re.test(r));
      const [folders, mine, hf, cached, actions] = [at(/Model folders/), at(/coder-tiny-Q8_0/), at(/Hugging Face cache/), at(/acme\/tiny-coder-GGUF\/tiny-coder-Q4_0/), at(/Browse/)];
      assert.ok(folders >= 0 && mine >= 0 && hf >= 0 && cached >= 0, `both models and both sources are listed: ${JSON.stringify(rows)}`);
      // A separator's label sits on its group's first row (or on a row of its own).
      assert.ok(folders <= mine && mine < hf && hf <= cached && cached < actions, `grouped by source, in order: ${JSON.stringify(rows)}`);
      const [mineRow, cachedRow] = [itemAt(rows, mine), itemAt(rows, cached)];
      assert.match(mineRow, /llama · [\d.]+[KM]? · Q8_0 · [\d.]+ [kKMG]B/, 'architecture, parameters, quant and size');
      assert.match(cachedRow, /Q4_0/);
      for (const row of [mineRow, cachedRow]) assert.match(row, VERDICT, `a verdict in the detail: ${row}`);
      assert.ok(mineRow.includes(folderModel), 'the detail names the file');
      await current.screenshot('models-1-picker-open');

      await pick(current, 'tiny-coder-Q4_0', /acme\/tiny-coder-GGUF\/tiny-coder-Q4_0/);
      // Where to save it: the workspace.
      await waitUntil('the "use ... for" question', async () => /use tiny-coder-Q4_0\.gguf for/.test(await current.page.locator('.quick-input-widget .quick-input-title').innerText().catch(() => '')), 15_000);
      await pick(current, 'Workspace', 'only this workspace');
      const saved = await waitUntil('headroom.modelPath in .vscode/settings.json', () => {
        const settings = current.workspaceSettings();
        return settings['headroom.modelPath'] === hfModel && settings;
      }, 15_000);
      assert.deepEqual(saved['headroom.modelFolders'], [folder], 'the other settings stay');

      await current.runCommand('Headroom: Start Local Model');
      await current.waitForReadyStatus();
      assert.equal(llamaServersWith(hfModel).length, 1, 'llama-server runs the picked model');
      assert.deepEqual(current.llamaServers(), [], 'not the model the workspace had before');
    });
  });

  test('"Download Model...": hf:owner/repo from a loopback hub, with its quants judged, saved and used', async () => {
    await scenario('models-2-download', async (current) => {
      const page = current.page;
      await current.runCommand('Headroom: Download Model...');
      await pick(current, 'Enter hf:owner/repo', 'Enter hf:owner/repo or a URL');
      const input = quickInput(current);
      await waitUntil('the input box for a reference', async () => /hf:owner\/repo/.test((await input.getAttribute('placeholder')) ?? '') || /owner\/repo/.test(await page.locator('.quick-input-widget').innerText().catch(() => '')), 15_000);
      await input.fill('hf:acme/remote-tiny-GGUF');
      await page.keyboard.press('Enter');
      // Its GGUF files, judged from headers read remotely.
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: 'remote-tiny-Q4_0' }).first();
      await row.waitFor({ timeout: 30_000 });
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'remote-tiny-Q8_0' }).first().waitFor();
      const rows = await quickPickRows(current);
      process.stdout.write(`download rows: ${JSON.stringify(rows, null, 1)}\n`);
      assert.equal(rows.length, 2, 'both quants are listed');
      for (const text of rows) assert.match(text, VERDICT, `a verdict for each quant: ${text}`);
      assert.ok(rows.some((r) => /Q4_0 · [\d.]+ [kKMG]B/.test(r)) && rows.some((r) => /Q8_0 · [\d.]+ [kKMG]B/.test(r)), 'quant and size of each');
      await current.screenshot('models-2-quants');
      await pick(current, 'remote-tiny', 'remote-tiny-Q4_0');

      const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'Headroom: downloaded' });
      await done.waitFor({ timeout: 60_000 });
      const file = join(downloads, ...(await waitUntil('the downloaded file', () => {
        const found = walk(downloads).find((p) => p.endsWith('remote-tiny-Q4_0.gguf'));
        return found && [found.slice(downloads.length + 1)];
      }, 10_000)));
      assert.ok(existsSync(file), `downloaded to ${file}`);
      assert.equal(readFileSync(file).length, readFileSync(join(home, 'served', 'remote-tiny-Q4_0.gguf')).length, 'the whole file');
      assert.deepEqual(walk(downloads).filter((p) => !p.endsWith('.gguf')), [], 'no partial file is left beside it');
      await current.screenshot('models-2-downloaded');

      await done.locator('.monaco-button', { hasText: 'Use This Model' }).click();
      await waitUntil('the "use ... for" question', async () => /use remote-tiny-Q4_0\.gguf for/.test(await page.locator('.quick-input-widget .quick-input-title').innerText().catch(() => '')), 15_000);
      await pick(current, 'Workspace', 'only this workspace');
      await waitUntil('headroom.modelPath to name the download', () => current.workspaceSettings()['headroom.modelPath'] === file, 15_000);
      await sleep(200);
    });
  });
});

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}
