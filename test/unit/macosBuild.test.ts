// macOS's own cases, run on Linux with the platform and arch injected and fake tools on a temp PATH:
// Intel Macs build for the CPU, Homebrew's llama-server is found without Homebrew on PATH, the git and c++
// stubs of a Mac without the Command Line Tools are seen through, and a quarantined download is named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HeadroomError } from '../../src/extension/common/errors';
import type { BuildHost } from '../../src/extension/llama/backendPrerequisites';
import { chooseBackend } from '../../src/extension/llama/buildBackend';
import { requireBuildTools } from '../../src/extension/llama/buildTools';
import { buildLlama, cmakeConfigureFlags } from '../../src/extension/llama/llamaBuild';
import { locateServer } from '../../src/extension/llama/locateServer';
import { inTempDir, logArgs, loggedCalls, writeFakeServer, writeTool } from '../fixtures/fakeTools';
import { ScriptedBuildLauncher } from '../fixtures/scriptedBuild';

const SOURCE = { commit: '0123456789abcdef0123456789abcdef01234567', bundle: '/bundles/llama.cpp.bundle' };

/** What `xcode-select -p` prints, and its exit code, with and without the Command Line Tools. */
const XCODE_SELECT_INSTALLED = "echo /Library/Developer/CommandLineTools";
const XCODE_SELECT_MISSING =
  "echo 'xcode-select: error: unable to get active developer directory, use `sudo xcode-select --switch path/to/Xcode.app` to set one (or see `man xcode-select`)' >&2\nexit 2";

/** A Mac whose PATH holds the stubs git, cmake and c++ (which pass a PATH check) and `xcode-select` with `body`. */
function mac(root: string, arch: NodeJS.Architecture, xcodeSelect?: string): BuildHost {
  const bin = join(root, 'usr-bin');
  for (const tool of ['git', 'cmake', 'c++']) writeTool(join(bin, tool), 'exit 0');
  if (xcodeSelect !== undefined) writeTool(join(bin, 'xcode-select'), `${logArgs(join(root, 'xcode-select.log'))}\n${xcodeSelect}`);
  return { platform: 'darwin', arch, root, env: { PATH: bin } };
}

test('macOS: an Intel Mac builds for the CPU with Metal off, as llama.cpp\'s own x64 macOS builds do; Apple silicon builds Metal', async () => {
  await inTempDir('mac-backend', async (root) => {
    const intel = await chooseBackend(mac(root, 'x64'));
    assert.deepEqual(intel, { backend: 'cpu', reason: 'Intel Mac: CPU (llama.cpp builds Metal for Apple silicon only)' });
    assert.ok(cmakeConfigureFlags('s', 'b', intel.backend, 'x64', 'darwin').includes('-DGGML_METAL=OFF'));
    assert.deepEqual(await chooseBackend(mac(root, 'arm64')), { backend: 'metal', reason: 'macOS: Metal' });
  });
});

test("macOS: Homebrew's llama-server is found in /opt/homebrew/bin and /usr/local/bin when PATH lacks them (apps started from the Dock)", async () => {
  for (const prefix of [['opt', 'homebrew'], ['usr', 'local']]) {
    await inTempDir('mac-brew', async (root) => {
      const server = writeFakeServer(join(root, ...prefix, 'bin', 'llama-server'));
      const options = { cacheRoot: join(root, 'cache'), env: { PATH: '/usr/bin:/bin' }, home: join(root, 'home'), root };
      const found = await locateServer({ ...options, platform: 'darwin' });
      assert.deepEqual(found && { path: found.path, source: found.source }, { path: server, source: 'build-folder' }, prefix.join('/'));
      assert.equal(await locateServer({ ...options, platform: 'win32' }), undefined, 'not a place Windows has');
    });
  }
});

test('macOS: without the Command Line Tools (xcode-select -p fails) the build is refused naming xcode-select --install, though git and c++ are on PATH', async () => {
  await inTempDir('mac-clt', async (root) => {
    const host = mac(root, 'arm64', XCODE_SELECT_MISSING);
    const launcher = new ScriptedBuildLauncher(() => ({ lines: [], code: 0 }));
    await assert.rejects(buildLlama({ source: SOURCE, backend: 'metal', cacheRoot: join(root, 'cache'), launcher, host }), (err: unknown) => {
      assert.ok(err instanceof HeadroomError);
      assert.match(err.message, /^Building llama\.cpp needs the Xcode Command Line Tools, which are not installed \(xcode-select: error: unable to get active developer directory/);
      assert.equal(err.hint, 'Install them with: xcode-select --install');
      return true;
    });
    assert.deepEqual(launcher.commands, [], 'nothing was launched');
    assert.deepEqual(loggedCalls(join(root, 'xcode-select.log')), ['-p']);
  });
  await inTempDir('mac-clt', async (root) => {
    await requireBuildTools(mac(root, 'arm64', XCODE_SELECT_INSTALLED));
    assert.deepEqual(loggedCalls(join(root, 'xcode-select.log')), ['-p']);
    await requireBuildTools({ ...mac(root, 'arm64', XCODE_SELECT_MISSING), platform: 'linux' });
    assert.deepEqual(loggedCalls(join(root, 'xcode-select.log')), ['-p'], 'only asked on macOS');
  });
});

test('macOS: a quarantined llama-server (killed by Gatekeeper before --version) is named, with the xattr command that allows it', async () => {
  await inTempDir('mac-quarantine', async (root) => {
    // Gatekeeper ends a quarantined program at once; the stand-in does the same to itself.
    const server = writeTool(join(root, 'Downloads', 'llama-b6000-bin-macos-arm64', 'build', 'bin', 'llama-server'), 'kill -9 $$');
    const bin = join(root, 'usr-bin');
    const log = join(root, 'xattr.log');
    writeTool(join(bin, 'xattr'), `${logArgs(log)}\necho '0083;6650a1b2;Safari;5C2D6A0E-1D3B-4F60-9C1E-2B8E0D6F7A11'`);
    const options = { configuredPath: server, cacheRoot: join(root, 'cache'), env: { PATH: bin } };
    await assert.rejects(locateServer({ ...options, platform: 'darwin' }), (err: unknown) => {
      assert.ok(err instanceof HeadroomError);
      assert.equal(err.message, `headroom.llamaServerPath (${server}) does not answer --version: macOS has quarantined it, as it does every downloaded program until it is allowed.`);
      assert.equal(err.hint, `Allow it with: xattr -d com.apple.quarantine ${server}`);
      return true;
    });
    assert.deepEqual(loggedCalls(log), [`-p com.apple.quarantine ${server}`]);

    // Not quarantined: xattr says so (exit 1), and the usual message stands.
    writeTool(join(bin, 'xattr'), `echo "xattr: ${server}: No such xattr: com.apple.quarantine" >&2\nexit 1`);
    await assert.rejects(locateServer({ ...options, platform: 'darwin' }), /does not answer --version like llama-server does\.$/);
    await assert.rejects(locateServer({ ...options, platform: 'linux' }), /does not answer --version like llama-server does\.$/);
  });
});
