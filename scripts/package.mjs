#!/usr/bin/env node
// `npm run package`: production bundles, then a .vsix with @vscode/vsce. What goes in is .vscodeignore's allow-list.
//   node scripts/package.mjs [--out FILE.vsix]      (default: headroom-<version>.vsix in the repo root)
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const { version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const out = outIndex >= 0 ? resolve(args[outIndex + 1]) : join(repo, `headroom-${version}.vsix`);
const LIMIT_MB = 50;

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(process.execPath, ['esbuild.mjs', '--production']);
// No `vscode:prepublish`: the bundles were just built. Headroom has no public repository yet, and package.json
// names none rather than a made-up one: --allow-missing-repository (vsce would stop to ask), and the README's
// relative image links stay relative (VS Code shows an installed extension's README from its own folder).
run(process.execPath, [join(repo, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out]);
const mb = statSync(out).size / 1024 / 1024;
console.log(`${out}: ${mb.toFixed(1)} MB`);
if (mb >= LIMIT_MB) {
  console.error(`The .vsix is ${mb.toFixed(1)} MB, over the ${LIMIT_MB} MB limit: check .vscodeignore.`);
  process.exit(1);
}
