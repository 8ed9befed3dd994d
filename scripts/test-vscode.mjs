#!/usr/bin/env node
// `npm run test:vscode`: the API suite (test/vscode-suite) in a VS Code that @vscode/test-electron downloads.
// Needs the internet (not part of `npm test`); inside code-server the same suite runs in test/e2e/vscodeApi.test.ts.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = mkdtempSync(join(tmpdir(), 'headroom-test-vscode-'));
const workspace = join(root, 'workspace');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
// The language-model tests start a model: the generated tiny one the e2e sessions use (out/ is compiled first).
const { writeModel } = await import(join(repo, 'out', 'src', 'extension', 'gguf', 'writer', 'models.js'));
const modelPath = join(root, 'tiny-dense-Q8_0.gguf');
await writeModel(modelPath, 'tiny-dense', { type: 'Q8_0', seed: 1 });
writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'headroom.contextSize': 1024, 'headroom.modelPath': modelPath }, null, 2));

try {
  await runTests({
    version: process.env.HEADROOM_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: repo,
    extensionTestsPath: join(repo, 'out', 'test', 'vscode-suite', 'electron.js'),
    launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust', '--user-data-dir', join(root, 'user-data')],
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
