// RAM and cores on macOS and Windows, from captured tool outputs, checked on any machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { macPhysicalCores, parseSysctl, parseVmStat, parseWindowsCores, SystemHardwareProbe, type ToolRunner } from '../../src/extension/memory/hardware';

// vm_stat on a 32 GB M2 Pro (16 KiB pages) with a few apps open: 1.3 GiB free, 10.7 GiB inactive file cache.
const VM_STAT_M2_PRO = `Mach Virtual Memory Statistics: (page size of 16384 bytes)
Pages free:                               83116.
Pages active:                            718474.
Pages inactive:                          704203.
Pages speculative:                        17032.
Pages throttled:                              0.
Pages wired down:                        258416.
Pages purgeable:                          31289.
"Translation faults":                 443588125.
Pages copy-on-write:                   14553436.
Pages zero filled:                    213432568.
Pages reactivated:                      1894577.
Pages purged:                            693459.
File-backed pages:                       504131.
Anonymous pages:                         935578.
Pages stored in compressor:              532146.
Pages occupied by compressor:            171316.
Decompressions:                          1280153.
Compressions:                            2475634.
Pageins:                                 5867033.
Pageouts:                                  24213.
Swapins:                                      0.
Swapouts:                                     0.
`;
// (83116 + 704203 + 31289 + 17032) pages of 16 KiB.
const M2_AVAILABLE_MiB = ((83116 + 704203 + 31289 + 17032) * 16384) / 2 ** 20;

// `sysctl hw.memsize hw.perflevel0.physicalcpu hw.physicalcpu`: 8 performance + 4 efficiency cores.
const SYSCTL_M2_PRO = 'hw.memsize: 34359738368\nhw.perflevel0.physicalcpu: 8\nhw.physicalcpu: 12\n';
// An Intel Mac has no perflevels: sysctl says so on stderr and prints the rest.
const SYSCTL_INTEL = 'hw.memsize: 17179869184\nhw.physicalcpu: 6\n';

const WMIC = 'NumberOfCores  \r\r\n8              \r\r\n\r\r\n';
const WMIC_TWO_SOCKETS = 'NumberOfCores  \r\r\n16             \r\r\n16             \r\r\n\r\r\n';

/** A tool runner that answers from captured outputs and records what was asked; a missing tool is undefined. */
function captured(outputs: Record<string, string>): { tool: ToolRunner; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    tool: (command) => {
      asked.push(command);
      return Promise.resolve(outputs[command]);
    },
  };
}

test('vm_stat: free + inactive + purgeable + speculative pages at the header\'s page size', () => {
  assert.equal(parseVmStat(VM_STAT_M2_PRO), M2_AVAILABLE_MiB);
  assert.ok(M2_AVAILABLE_MiB > 12_000 && M2_AVAILABLE_MiB < 14_000);
  assert.equal(parseVmStat(VM_STAT_M2_PRO.replace('page size of 16384 bytes', 'page size of 4096 bytes')), M2_AVAILABLE_MiB / 4);
  assert.equal(parseVmStat('Pages free: 10.\n'), undefined, 'no page size');
  assert.equal(parseVmStat('Mach Virtual Memory Statistics: (page size of 4096 bytes)\nPages free: 10.\n'), undefined, 'fields missing');
});

test('sysctl: performance cores on Apple silicon, every physical core on an Intel Mac', () => {
  assert.equal(parseSysctl(SYSCTL_M2_PRO).get('hw.memsize'), '34359738368');
  assert.equal(macPhysicalCores(parseSysctl(SYSCTL_M2_PRO)), 8);
  assert.equal(macPhysicalCores(parseSysctl(SYSCTL_INTEL)), 6);
  assert.equal(macPhysicalCores(parseSysctl('')), undefined);
});

test('Windows cores: wmic (one row per socket) or PowerShell, summed', () => {
  assert.equal(parseWindowsCores(WMIC), 8);
  assert.equal(parseWindowsCores(WMIC_TWO_SOCKETS), 32);
  assert.equal(parseWindowsCores('8\r\n'), 8);
  assert.equal(parseWindowsCores("'wmic' is not recognized as an internal or external command,\r\n"), undefined);
});

test('probe on macOS (captured M2 Pro outputs): RAM from vm_stat and hw.memsize, threads from the performance cores', async () => {
  const { tool, asked } = captured({ vm_stat: VM_STAT_M2_PRO, sysctl: SYSCTL_M2_PRO });
  const facts = await new SystemHardwareProbe({ platform: 'darwin', tool }).sample();
  assert.equal(facts.ramTotalMiB, 32768);
  assert.equal(facts.ramAvailableMiB, M2_AVAILABLE_MiB, 'not os.freemem()');
  assert.equal(facts.physicalCores, 8);
  assert.deepEqual(asked.sort(), ['sysctl', 'vm_stat']);
  assert.ok(!facts.gpus.some((g) => g.source === 'sysfs'), 'no sysfs off Linux');
});

test('probe on Windows: wmic first, PowerShell when wmic is gone, logical / 2 only when neither answers', async () => {
  const logical = cpus().length;
  const wmic = captured({ wmic: WMIC });
  assert.equal((await new SystemHardwareProbe({ platform: 'win32', tool: wmic.tool }).sample()).physicalCores, 8);
  assert.deepEqual(wmic.asked, ['wmic']);
  const ps = captured({ powershell: '6\r\n' });
  assert.equal((await new SystemHardwareProbe({ platform: 'win32', tool: ps.tool }).sample()).physicalCores, 6);
  assert.deepEqual(ps.asked, ['wmic', 'powershell']);
  const none = captured({});
  const facts = await new SystemHardwareProbe({ platform: 'win32', tool: none.tool }).sample();
  assert.equal(facts.physicalCores, Math.max(1, Math.floor(logical / 2)));
  assert.notEqual(facts.physicalCores, logical === 1 ? 0 : logical, 'never every logical core');
});
