// What package.json promises, checked in real VS Code (code-server + Chromium), in one session opened in
// Restricted Mode (workspace trust on, the workspace not trusted):
// - keybindings: none of ours equals (or is the first press of, or starts with) one of VS Code's default
//   keybindings, read from "Preferences: Open Default Keyboard Shortcuts (JSON)" as a user would see them;
// - capabilities.untrustedWorkspaces: the workspace's llamaServerPath (a fake binary) and extraServerArgs are
//   ignored, and the model still starts with the user's own llama-server;
// - extensionKind ["workspace"]: code-server is a remote setup (the browser is the UI, the extension host runs on
//   the server), and the model runs where the extension host is: its llama-server, cache and model file are there.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chordOf, clashesWith, normalize, type KeybindingContribution } from '../fixtures/keybindings';
import { e2eUnavailable, EXTENSION_ID, REPO, scenarioRunner, Session, waitUntil } from './harness';

interface DefaultKeybinding {
  key: string;
  command: string;
  when?: string;
}

/**
 * The entries of VS Code's default keybindings document (JSON with comments; the list of unbound commands after
 * it is all comments). Each entry is one `{ "key": ..., "command": ..., "when": ... }` object.
 */
function parseDefaultKeybindings(text: string): DefaultKeybinding[] {
  const found: DefaultKeybinding[] = [];
  for (const match of text.matchAll(/\{\s*"key":\s*"((?:[^"\\]|\\.)*)",\s*"command":\s*"((?:[^"\\]|\\.)*)"(?:,\s*"when":\s*"((?:[^"\\]|\\.)*)")?/g)) {
    const [, key, command, when] = match;
    if (key !== undefined && command !== undefined) found.push({ key: JSON.parse(`"${key}"`) as string, command, when: when === undefined ? undefined : (JSON.parse(`"${when}"`) as string) });
  }
  return found;
}

const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { contributes: { keybindings: KeybindingContribution[] } };

describe('package.json in real VS Code: keybindings, Restricted Mode, where the extension runs', { skip: e2eUnavailable(), timeout: 20 * 60_000 }, () => {
  let s: Session | undefined;
  const { scenario } = scenarioRunner(() => s);
  const fakeServer = (current: Session): string => join(current.root, 'workspace-bin', 'llama-server');
  const fakeRan = (current: Session): string => join(current.root, 'fake-llama-server-ran');

  before(
    async () => {
      s = await Session.open({
        name: 'manifest',
        workspaceTrust: 'untrusted',
        // What a cloned repository's .vscode/settings.json could say to run its own program.
        settings: { 'headroom.extraServerArgs': ['--no-such-flag-from-the-workspace'] },
        beforeStart: (current) => {
          const fake = fakeServer(current);
          mkdirSync(join(current.root, 'workspace-bin'), { recursive: true });
          writeFileSync(fake, `#!/bin/sh\ntouch '${fakeRan(current)}'\nexit 1\n`);
          chmodSync(fake, 0o755);
          current.updateWorkspaceSettings({ 'headroom.llamaServerPath': fake });
        },
      });
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await s?.close();
  });

  test('none of our keybindings clashes with a VS Code default keybinding (Linux defaults, as code-server shows them)', async () => {
    await scenario('manifest-1-keybindings', async (current) => {
      const page = current.page;
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
      // The document is made when it opens: wait until the workbench has Headroom's contributions (its view icon).
      await page.locator('.activitybar .action-item [aria-label^="Headroom"]').first().waitFor({ timeout: 60_000 });
      await current.runCommand('Preferences: Open Default Keyboard Shortcuts (JSON)');
      await page.locator('.tabs-container .tab.active', { hasText: 'Default Keybindings' }).waitFor({ timeout: 30_000 });
      const editor = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
      // The document is long and the editor draws only what is on screen: select all and copy, as a user would.
      const text = await waitUntil('the default keybindings to be copied', async () => {
        await editor.click();
        await page.keyboard.press('Control+A');
        await page.keyboard.press('Control+C');
        const copied = await page.evaluate(() => navigator.clipboard.readText());
        return copied.includes('"key"') && copied;
      }, 30_000, 1_000);
      writeFileSync(join(current.artifacts, 'default-keybindings.jsonc'), text);
      const all = parseDefaultKeybindings(text);
      // Ours are in the list too (it is every keybinding the workbench knows): proof that ours are installed.
      const listedOurs = all.filter((k) => k.command.startsWith('headroom.'));
      for (const k of manifest.contributes.keybindings) {
        assert.ok(
          listedOurs.some((l) => l.command === k.command && normalize(l.key) === normalize(k.linux ?? k.key)),
          `${k.command} is bound to ${k.key} in VS Code (listed: ${listedOurs.map((l) => `${l.key} ${l.command}`).join(', ')})`,
        );
      }
      // `when: false` entries are switched off (e.g. markdown's ctrl+k): never active, no clash.
      const defaults = all.filter((k) => !k.command.startsWith('headroom.') && k.when !== 'false');
      process.stdout.write(`default keybindings read from code-server: ${defaults.length} (${new Set(defaults.map((d) => normalize(d.key))).size} distinct keys)\n`);
      assert.ok(defaults.length > 300, `VS Code's defaults were read (${defaults.length})`);
      assert.ok(defaults.some((d) => normalize(d.key) === 'ctrl+shift+p' && d.command === 'workbench.action.showCommands'), 'Ctrl+Shift+P is Show All Commands');
      const keys = defaults.map((d) => d.key);
      // The checker on the bindings the issue reported: Ctrl+Alt+I is VS Code's Open Chat.
      assert.ok(clashesWith('ctrl+alt+i', keys).length > 0, 'the old Ctrl+Alt+I would be caught');
      for (const k of manifest.contributes.keybindings) {
        const ours = k.linux ?? k.key;
        const clashes = clashesWith(ours, keys);
        const commands = defaults.filter((d) => clashes.includes(normalize(d.key))).map((d) => `${d.key} -> ${d.command}`);
        assert.deepEqual(commands, [], `${k.command} (${ours}) clashes`);
      }
      // What this cannot see: code-server runs on Linux, so VS Code's Windows and macOS defaults (and desktop-only
      // ones such as Toggle Developer Tools) are not listed. Ours use the same chord (Ctrl+K / Cmd+K, then a
      // plain letter) on every platform, and VS Code's Ctrl+K chords are the same on all three; the AltGr and
      // Option rules for Windows and macOS are checked in test/unit/keybindings.test.ts.
      assert.ok(manifest.contributes.keybindings.every((k) => chordOf(k.mac ?? k.key).length === chordOf(k.key).length), 'the same chord shape on macOS');
    });
  });

  test('Restricted Mode: the workspace\'s llamaServerPath and extraServerArgs are ignored; the user\'s llama-server runs the model', async () => {
    await scenario('manifest-2-restricted', async (current) => {
      const page = current.page;
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      assert.equal(current.workspaceSettings()['headroom.llamaServerPath'], fakeServer(current), 'the workspace names the fake binary');
      await current.runCommand('Headroom: Start Local Model');
      await current.waitForReadyStatus();
      const [pid, ...more] = current.llamaServers();
      assert.ok(pid !== undefined && more.length === 0, 'one llama-server');
      assert.equal(existsSync(fakeRan(current)), false, 'the workspace\'s fake llama-server never ran');
      const exe = readlinkSync(`/proc/${pid}/exe`);
      assert.notEqual(exe, fakeServer(current));
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(!argv.includes('--no-such-flag-from-the-workspace'), `the workspace's extra argument is not passed: ${argv.join(' ')}`);
      process.stdout.write(`llama-server ${pid}: ${exe}\n`);
    });
  });

  test('extensionKind workspace: the model runs on the extension host\'s machine (the server side of code-server)', async () => {
    await scenario('manifest-3-extension-host', async (current) => {
      const installed = readdirSync(current.extensionsDir).find((name) => name.startsWith(`${EXTENSION_ID}-`));
      assert.ok(installed, 'Headroom is installed in the server\'s extensions folder');
      const packaged = JSON.parse(readFileSync(join(current.extensionsDir, installed, 'package.json'), 'utf8')) as { extensionKind?: string[] };
      assert.deepEqual(packaged.extensionKind, ['workspace']);
      // The browser is only the UI; llama-server is a process of this machine, started from the cache and the
      // model path of the machine the extension host runs on (where a remote's GPU is).
      const [pid] = current.llamaServers();
      assert.ok(pid !== undefined, 'llama-server runs (started by the previous test)');
      const exe = readlinkSync(`/proc/${pid}/exe`);
      const cache = process.env.HEADROOM_CACHE_DIR ?? join(homedir(), '.cache', 'headroom');
      assert.ok(exe.startsWith(cache), `llama-server's binary ${exe} is from the build cache of the extension host's machine (${cache})`);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const model = argv[argv.indexOf('--model') + 1] ?? argv[argv.indexOf('-m') + 1];
      assert.equal(model, current.modelPath, 'the model path from the settings, opened on the extension host\'s machine');
      const parent = Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
      const parentCmd = readFileSync(`/proc/${parent}/cmdline`, 'utf8').replace(/\0/g, ' ');
      process.stdout.write(`llama-server's parent ${parent}: ${parentCmd.slice(0, 160)}\n`);
      assert.match(parentCmd, /--type=extensionHost/, 'llama-server is a child of the extension host');
    });
  });
});
