// What a GPU build needs, checked against made-up machines in temp folders: a fake glslc on a temp PATH, Vulkan
// headers from Debian 12 (1.3.239, no VK_EXT_layer_settings) and from trixie (1.4.309, with it), SPIRV-Headers'
// CMake package, the loader's link, /etc/os-release. Each missing piece is refused with its package named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemAt } from '../fixtures/itemAt';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  checkPrerequisites,
  MissingPrerequisitesError,
  requirePrerequisites,
  type BuildHost,
} from '../../src/extension/llama/backendPrerequisites';
import { chooseBackend } from '../../src/extension/llama/buildBackend';

/** The lines of vulkan_core.h the check reads, as the real headers write them. */
function vulkanCore(minor: number, patch: number, layerSettings: boolean): string {
  return [
    '#define VK_VERSION_1_0 1',
    `#define VK_HEADER_VERSION ${patch}`,
    `#define VK_HEADER_VERSION_COMPLETE VK_MAKE_API_VERSION(0, 1, ${minor}, VK_HEADER_VERSION)`,
    ...(layerSettings ? ['#define VK_EXT_layer_settings 1', '#define VK_EXT_LAYER_SETTINGS_SPEC_VERSION 2'] : []),
    '',
  ].join('\n');
}

type Piece = 'glslc' | 'old-headers' | 'new-headers' | 'spirv-headers' | 'loader' | 'nvcc' | 'nvidia-gpu';
const VULKAN: readonly Piece[] = ['glslc', 'new-headers', 'spirv-headers', 'loader'];

interface FakeMachine {
  root: string;
  /** A host on Linux whose PATH is the fake bin folder; `new-headers` are passed through CPLUS_INCLUDE_PATH as CI does. */
  host(env?: NodeJS.ProcessEnv): BuildHost;
  dispose(): void;
}

function file(path: string, text = '', mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  chmodSync(path, mode);
}

/** A machine with exactly `pieces` installed, on the distribution `osId`. */
function fakeMachine(pieces: readonly Piece[], osId = 'debian'): FakeMachine {
  const root = mkdtempSync(join(tmpdir(), 'headroom-prereq-'));
  file(join(root, 'etc', 'os-release'), `PRETTY_NAME="Test"\nID=${osId}\n`);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  const trixie = join(root, 'apt-trixie', 'usr', 'include');
  for (const piece of pieces) {
    if (piece === 'glslc' || piece === 'nvcc') file(join(bin, piece), '#!/bin/sh\n', 0o755);
    if (piece === 'old-headers') {
      file(join(root, 'usr', 'include', 'vulkan', 'vulkan_core.h'), vulkanCore(3, 239, false));
      file(join(root, 'usr', 'include', 'vulkan', 'vulkan.hpp'));
    }
    if (piece === 'new-headers') {
      file(join(trixie, 'vulkan', 'vulkan_core.h'), vulkanCore(4, 309, true));
      file(join(trixie, 'vulkan', 'vulkan.hpp'));
    }
    if (piece === 'spirv-headers') file(join(root, 'usr', 'share', 'cmake', 'SPIRV-Headers', 'SPIRV-HeadersConfig.cmake'));
    if (piece === 'loader') file(join(root, 'usr', 'lib', 'x86_64-linux-gnu', 'libvulkan.so'));
    if (piece === 'nvidia-gpu') file(join(root, 'proc', 'driver', 'nvidia', 'gpus', '0000:01:00.0', 'information'));
  }
  return {
    root,
    host: (env = {}) => ({ platform: 'linux', arch: 'x64', root, env: { PATH: bin, CPLUS_INCLUDE_PATH: pieces.includes('new-headers') ? trixie : undefined, ...env } }),
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}

async function withMachine(pieces: readonly Piece[], body: (m: FakeMachine) => Promise<void>, osId?: string): Promise<void> {
  const machine = fakeMachine(pieces, osId);
  try {
    await body(machine);
  } finally {
    machine.dispose();
  }
}

test('Vulkan prerequisites: glslc, headers with VK_EXT_layer_settings on CPLUS_INCLUDE_PATH, SPIRV-Headers and the loader pass', async () => {
  await withMachine(['old-headers', ...VULKAN], async (m) => {
    const check = await requirePrerequisites('vulkan', m.host());
    assert.deepEqual(check.missing, []);
    assert.deepEqual(check.found, [
      `glslc (${join(m.root, 'bin', 'glslc')})`,
      `Vulkan headers 1.4.309 (${join(m.root, 'apt-trixie', 'usr', 'include')})`,
      `SPIRV-Headers (${join(m.root, 'usr', 'share', 'cmake', 'SPIRV-Headers', 'SPIRV-HeadersConfig.cmake')})`,
      `Vulkan loader (${join(m.root, 'usr', 'lib', 'x86_64-linux-gnu', 'libvulkan.so')})`,
    ]);
  });
});

test('Vulkan prerequisites: each missing piece alone is refused with its Debian package named', async () => {
  const packages: Record<string, { item: string; problem: RegExp; install: RegExp }> = {
    'glslc': { item: 'glslc', problem: /glslc, the Vulkan shader compiler, is not on PATH/, install: /^sudo apt-get install glslc$/ },
    'new-headers': { item: 'vulkan-headers', problem: /No Vulkan headers \(vulkan\/vulkan_core\.h\) were found in .*usr\/include; this llama\.cpp needs VK_EXT_layer_settings/, install: /^sudo apt-get install libvulkan-dev, version 1\.3\.272 or newer .*trixie's libvulkan-dev headers on CPLUS_INCLUDE_PATH/ },
    'spirv-headers': { item: 'spirv-headers', problem: /SPIRV-HeadersConfig\.cmake/, install: /^sudo apt-get install spirv-headers$/ },
    'loader': { item: 'vulkan-loader', problem: /libvulkan\.so/, install: /^sudo apt-get install libvulkan-dev$/ },
  };
  for (const left of VULKAN) {
    await withMachine(VULKAN.filter((p) => p !== left), async (m) => {
      await assert.rejects(requirePrerequisites('vulkan', m.host()), (err: unknown) => {
        assert.ok(err instanceof MissingPrerequisitesError, `${left}: typed error`);
        assert.equal(err.backend, 'vulkan');
        assert.equal(err.missing.length, 1, `${left}: only it is missing: ${err.message}`);
        const missing = itemAt(err.missing, 0);
        const expected = packages[left];
        assert.ok(expected, `${left}: an expectation`);
        assert.equal(missing.item, expected.item);
        assert.match(missing.problem, expected.problem);
        assert.match(missing.install, expected.install);
        assert.match(err.message, /^Building llama\.cpp for Vulkan needs what this machine lacks:\n {2}- /);
        assert.ok(err.message.includes(missing.install), 'the message names the package');
        assert.equal(err.hint, 'The CPU build works meanwhile.');
        return true;
      });
    });
  }
});

test("Vulkan prerequisites: Debian 12's 1.3.239 headers are too old, named with their version and folder", async () => {
  await withMachine(['glslc', 'old-headers', 'spirv-headers', 'loader'], async (m) => {
    const { missing } = await checkPrerequisites('vulkan', m.host());
    assert.deepEqual(
      missing.map((x) => x.problem),
      [`Vulkan headers 1.3.239 in ${join(m.root, 'usr', 'include')} are too old: this llama.cpp needs VK_EXT_layer_settings (headers 1.3.272 or newer).`],
    );
  });
});

test('Vulkan prerequisites: the headers the compiler would use count: $VULKAN_SDK/include first, then CPLUS_INCLUDE_PATH, CPATH, /usr/local/include, /usr/include', async () => {
  await withMachine(['glslc', 'old-headers', 'spirv-headers', 'loader'], async (m) => {
    const newer = join(m.root, 'newer', 'include');
    file(join(newer, 'vulkan', 'vulkan_core.h'), vulkanCore(3, 275, true));
    file(join(newer, 'vulkan', 'vulkan.hpp'));
    const headers = async (env: NodeJS.ProcessEnv): Promise<string | undefined> =>
      (await checkPrerequisites('vulkan', m.host(env))).found.find((f) => f.startsWith('Vulkan headers'));
    assert.equal(await headers({ CPATH: newer }), `Vulkan headers 1.3.275 (${newer})`);
    assert.equal(await headers({ CPLUS_INCLUDE_PATH: `${join(m.root, 'nothing')}:${newer}` }), `Vulkan headers 1.3.275 (${newer})`);
    assert.equal(await headers({ VULKAN_SDK: join(m.root, 'newer') }), `Vulkan headers 1.3.275 (${newer})`);
    // Old headers found first win, as they would in the compiler: no newer ones further down help.
    file(join(m.root, 'usr', 'local', 'include', 'vulkan', 'vulkan_core.h'), vulkanCore(3, 239, false));
    const { missing } = await checkPrerequisites('vulkan', m.host());
    assert.match(itemAt(missing, 0).problem, /1\.3\.239 in .*usr\/local\/include are too old/);
  });
});

test('Vulkan prerequisites: headers without vulkan.hpp are refused (this llama.cpp is C++)', async () => {
  await withMachine(VULKAN, async (m) => {
    rmSync(join(m.root, 'apt-trixie', 'usr', 'include', 'vulkan', 'vulkan.hpp'));
    const { missing } = await checkPrerequisites('vulkan', m.host());
    assert.deepEqual(missing.map((x) => x.item), ['vulkan-headers']);
    assert.match(itemAt(missing, 0).problem, /no C\+\+ header \(vulkan\/vulkan\.hpp\)/);
  });
});

test('Vulkan prerequisites: on Fedora the Fedora packages are named; on an unknown Linux both families', async () => {
  await withMachine([], async (m) => {
    const { missing } = await checkPrerequisites('vulkan', m.host());
    assert.deepEqual(
      missing.map((x) => x.install),
      ['sudo dnf install glslc', 'sudo dnf install vulkan-headers', 'sudo dnf install spirv-headers-devel', 'sudo dnf install vulkan-loader-devel'],
    );
  }, 'fedora');
  await withMachine([], async (m) => {
    const { missing } = await checkPrerequisites('vulkan', m.host());
    assert.equal(missing.find((x) => x.item === 'spirv-headers')?.install, 'Debian/Ubuntu: sudo apt-get install spirv-headers; Fedora: sudo dnf install spirv-headers-devel');
  }, 'alpine');
});

test('Vulkan prerequisites on Windows: the LunarG Vulkan SDK is named, and $VULKAN_SDK holding it is enough', async () => {
  await withMachine([], async (m) => {
    const bare = await checkPrerequisites('vulkan', { platform: 'win32', arch: 'x64', root: m.root, env: {} });
    assert.deepEqual(bare.missing.map((x) => x.item), ['glslc', 'vulkan-headers', 'spirv-headers', 'vulkan-loader']);
    for (const x of bare.missing) assert.match(x.install, /LunarG Vulkan SDK/);
    const sdk = join(m.root, 'VulkanSDK', '1.4.309.0');
    file(join(sdk, 'Bin', 'glslc.exe'), '', 0o755);
    file(join(sdk, 'Include', 'vulkan', 'vulkan_core.h'), vulkanCore(4, 309, true));
    file(join(sdk, 'Include', 'vulkan', 'vulkan.hpp'));
    file(join(sdk, 'share', 'cmake', 'SPIRV-Headers', 'SPIRV-HeadersConfig.cmake'));
    file(join(sdk, 'Lib', 'vulkan-1.lib'));
    const withSdk = await checkPrerequisites('vulkan', { platform: 'win32', arch: 'x64', root: m.root, env: { VULKAN_SDK: sdk } });
    assert.deepEqual(withSdk.missing, []);
  });
});

test('CUDA and Metal prerequisites: nvcc is refused with the CUDA toolkit named; Metal only on macOS; the CPU needs nothing', async () => {
  await withMachine([], async (m) => {
    const cuda = await checkPrerequisites('cuda', m.host());
    assert.deepEqual(cuda.missing.map((x) => x.item), ['nvcc']);
    assert.match(itemAt(cuda.missing, 0).install, /nvidia-cuda-toolkit/);
    const windows = await checkPrerequisites('cuda', { platform: 'win32', arch: 'x64', root: m.root, env: {} });
    assert.match(itemAt(windows.missing, 0).install, /^the CUDA Toolkit/);
    await assert.rejects(requirePrerequisites('metal', m.host()), /Metal is macOS only/);
    assert.deepEqual((await checkPrerequisites('metal', { ...m.host(), platform: 'darwin' })).missing, []);
    assert.deepEqual((await checkPrerequisites('cpu', m.host())).missing, []);
  });
  await withMachine(['nvcc'], async (m) => {
    assert.deepEqual((await checkPrerequisites('cuda', m.host())).found, [`nvcc (${join(m.root, 'bin', 'nvcc')})`]);
  });
});

test('chooseBackend: Vulkan only when all of it is there; glslc with old headers falls back to the CPU naming what is missing', async () => {
  await withMachine(VULKAN, async (m) => {
    const choice = await chooseBackend(m.host());
    assert.equal(choice.backend, 'vulkan');
    assert.match(choice.reason, /^Vulkan: glslc .*Vulkan headers 1\.4\.309/);
  });
  await withMachine(['glslc', 'old-headers', 'loader'], async (m) => {
    const choice = await chooseBackend(m.host());
    assert.equal(choice.backend, 'cpu');
    assert.match(choice.reason, /^CPU only: no CUDA compiler \(nvcc\); the Vulkan build lacks what it needs: /);
    assert.match(choice.reason, /Vulkan headers 1\.3\.239 in .* are too old: this llama\.cpp needs VK_EXT_layer_settings/);
    assert.match(choice.reason, /\(sudo apt-get install spirv-headers\)/);
  });
  await withMachine([], async (m) => {
    assert.deepEqual(await chooseBackend(m.host()), { backend: 'cpu', reason: 'CPU only: no CUDA compiler (nvcc); no Vulkan shader compiler (glslc)' });
  });
});

test('chooseBackend: CUDA needs nvcc and an NVIDIA GPU the driver sees; macOS on Apple silicon builds Metal', async () => {
  await withMachine(['nvcc', ...VULKAN], async (m) => {
    const choice = await chooseBackend(m.host());
    assert.equal(choice.backend, 'vulkan', 'nvcc without a GPU is not CUDA');
  });
  await withMachine(['nvcc'], async (m) => {
    assert.match((await chooseBackend(m.host())).reason, /^CPU only: CUDA compiler found \(.*nvcc\) but no NVIDIA GPU/);
  });
  await withMachine(['nvcc', 'nvidia-gpu'], async (m) => {
    assert.deepEqual(await chooseBackend(m.host()), { backend: 'cuda', reason: `NVIDIA GPU and CUDA compiler (${join(m.root, 'bin', 'nvcc')})` });
  });
  await withMachine([], async (m) => {
    assert.equal((await chooseBackend({ ...m.host(), platform: 'darwin', arch: 'arm64' })).backend, 'metal');
  });
});
