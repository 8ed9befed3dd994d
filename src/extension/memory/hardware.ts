import { readdir, readFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { run, which } from '../common/run';

const MiB = 1024 * 1024;

/**
 * Where a GPU's memory numbers come from: sampled live from nvidia-smi or (AMD on Linux) sysfs; RAM itself for a
 * GPU with unified memory (Apple silicon); or llama.cpp's device list, read when the server started.
 */
export type VramSource = 'nvidia-smi' | 'sysfs' | 'unified' | 'llama.cpp';

export interface GpuFacts {
  index: number;
  name: string;
  totalMiB: number;
  freeMiB: number;
  usedMiB: number;
  /** Where the numbers come from; nvidia-smi when absent. */
  source?: VramSource;
}

/** A device as llama.cpp lists it (`llama-server --list-devices`), passed in as data: memory/ runs no llama.cpp. */
export interface ListedDevice {
  /** Backend name, e.g. "CUDA0", "Vulkan0", "MTL0". */
  name: string;
  description: string;
  totalMiB: number;
  freeMiB: number;
}

export interface HardwareFacts {
  gpus: GpuFacts[];
  ramTotalMiB: number;
  /** MemAvailable (what can be allocated without swapping), not MemFree. */
  ramAvailableMiB: number;
  physicalCores: number;
  logicalCores: number;
}

/** Metal devices ("MTL0", older builds "Metal") share RAM with the CPU. */
function isUnifiedMemory(device: ListedDevice): boolean {
  return /^(MTL|Metal)\d*$/.test(device.name);
}

/** The GPUs of llama.cpp's device list, with the numbers it reported (unified memory marked as such). */
export function gpusFromDeviceList(devices: readonly ListedDevice[]): GpuFacts[] {
  return devices.map((d, index) => ({
    index,
    name: d.description || d.name,
    totalMiB: d.totalMiB,
    freeMiB: d.freeMiB,
    usedMiB: Math.max(0, d.totalMiB - d.freeMiB),
    source: isUnifiedMemory(d) ? 'unified' : 'llama.cpp',
  }));
}

/** Samples the machine; injected wherever memory is planned or shown, so a 12 GB card is a test input. */
export interface HardwareProbe {
  sample(): Promise<HardwareFacts>;
  /** Resident memory of one process in MiB, undefined when unknown. */
  processRssMiB(pid: number): Promise<number | undefined>;
  /** VRAM one process holds per GPU index (NVIDIA only); empty when unknown. */
  processVramMiB(pid: number): Promise<Map<number, number>>;
}

/** nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory joined with the GPUs' uuids. */
export function parseComputeApps(appsCsv: string, gpuUuidsCsv: string, pid: number): Map<number, number> {
  const indexByUuid = new Map<string, number>();
  for (const line of gpuUuidsCsv.split('\n')) {
    const [index, uuid] = line.split(',').map((p) => p.trim());
    if (uuid && Number.isFinite(Number(index))) indexByUuid.set(uuid, Number(index));
  }
  const used = new Map<number, number>();
  for (const line of appsCsv.split('\n')) {
    const [uuid, appPid, mib] = line.split(',').map((p) => p.trim());
    const index = indexByUuid.get(uuid ?? '');
    if (index === undefined || Number(appPid) !== pid || !Number.isFinite(Number(mib))) continue;
    used.set(index, (used.get(index) ?? 0) + Number(mib));
  }
  return used;
}

export function parseMeminfo(text: string): { totalMiB: number; availableMiB: number } | undefined {
  const field = (name: string): number | undefined => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) / 1024 : undefined;
  };
  const total = field('MemTotal');
  const available = field('MemAvailable');
  return total !== undefined && available !== undefined ? { totalMiB: total, availableMiB: available } : undefined;
}

/** Counts distinct (physical id, core id) pairs; hyper-threads share a core. */
export function parsePhysicalCores(cpuinfo: string): number | undefined {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const phys = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (phys !== undefined && core !== undefined) cores.add(`${phys}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

export function parseNvidiaSmi(csv: string): GpuFacts[] {
  const gpus: GpuFacts[] = [];
  for (const line of csv.split('\n')) {
    const [index, name, total, used, free] = line.split(',').map((p) => p.trim());
    if (name === undefined) continue;
    // A missing field is Number(undefined) = NaN, so short lines are skipped here too.
    const gpu = { index: Number(index), name, totalMiB: Number(total), usedMiB: Number(used), freeMiB: Number(free) };
    if (![gpu.index, gpu.totalMiB, gpu.usedMiB, gpu.freeMiB].every(Number.isFinite)) continue;
    gpus.push(gpu);
  }
  return gpus;
}

/**
 * AMD GPUs as the amdgpu driver shows them: /sys/class/drm/cardN/device/mem_info_vram_{total,used}, in bytes; the
 * name from product_name where the card has one. Indexes are left at 0 for the caller to number.
 */
export async function readSysfsVram(sysRoot = '/sys'): Promise<GpuFacts[]> {
  const drm = join(sysRoot, 'class', 'drm');
  let cards: string[];
  try {
    cards = (await readdir(drm)).filter((name) => /^card\d+$/.test(name));
  } catch {
    return [];
  }
  cards.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
  const read = (card: string, file: string): Promise<string | undefined> => readFile(join(drm, card, 'device', file), 'utf8').then((t) => t.trim(), () => undefined);
  const gpus: GpuFacts[] = [];
  for (const card of cards) {
    const [total, used, product] = await Promise.all([read(card, 'mem_info_vram_total'), read(card, 'mem_info_vram_used'), read(card, 'product_name')]);
    const totalMiB = Number(total) / MiB;
    const usedMiB = Number(used) / MiB;
    if (total === undefined || used === undefined || !Number.isFinite(totalMiB) || !Number.isFinite(usedMiB) || totalMiB <= 0) continue;
    gpus.push({ index: 0, name: product || `AMD GPU (${card})`, totalMiB, usedMiB, freeMiB: Math.max(0, totalMiB - usedMiB), source: 'sysfs' });
  }
  return gpus;
}

/**
 * macOS `vm_stat`: the pages the system can hand out without swapping (free, inactive, purgeable, speculative) times
 * the page size from its header ("page size of 16384 bytes"). os.freemem() counts free pages only: 1-2 GB on a
 * 32 GB Mac whose file cache holds the rest.
 */
export function parseVmStat(text: string): number | undefined {
  const pageSize = Number(/page size of (\d+) bytes/.exec(text)?.[1]);
  if (!Number.isFinite(pageSize) || pageSize <= 0) return undefined;
  let pages = 0;
  for (const name of ['free', 'inactive', 'purgeable', 'speculative']) {
    const count = new RegExp(`^Pages ${name}:\\s+(\\d+)\\.?\\s*$`, 'm').exec(text)?.[1];
    if (count === undefined) return undefined;
    pages += Number(count);
  }
  return (pages * pageSize) / MiB;
}

/** `sysctl name...` output ("hw.memsize: 34359738368"), as name -> value; unknown names (stderr) are simply absent. */
export function parseSysctl(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([\w.]+):\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) values.set(m[1], m[2]);
  }
  return values;
}

const positive = (text: string | undefined): number | undefined => {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
};

/**
 * The cores llama.cpp's threads should use on a Mac: the performance cores on Apple silicon (its efficiency cores
 * only slow a matrix multiply down to their pace), every physical core on an Intel Mac (no perflevels).
 */
export function macPhysicalCores(sysctl: ReadonlyMap<string, string>): number | undefined {
  return positive(sysctl.get('hw.perflevel0.physicalcpu')) ?? positive(sysctl.get('hw.physicalcpu'));
}

/**
 * Physical cores on Windows from `wmic cpu get NumberOfCores` (a header, then one row per socket) or PowerShell's
 * `(Get-CimInstance Win32_Processor).NumberOfCores` (one number per socket): their sum.
 */
export function parseWindowsCores(text: string): number | undefined {
  const counts = text.split(/\r?\n|\r/).map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
  const sum = counts.reduce((a, b) => a + b, 0);
  return sum > 0 ? sum : undefined;
}

/** Runs a system tool and gives its stdout (also after a non-zero exit), undefined when it could not run. */
export type ToolRunner = (command: string, args: readonly string[]) => Promise<string | undefined>;

const runTool: ToolRunner = (command, args) => run(command, args, { timeoutMs: 10_000 }).then((r) => r.stdout, () => undefined);

const WINDOWS_CORE_QUERIES: readonly (readonly [string, readonly string[]])[] = [
  ['wmic', ['cpu', 'get', 'NumberOfCores']],
  // wmic is gone from recent Windows 11 builds.
  ['powershell', ['-NoProfile', '-NonInteractive', '-Command', '(Get-CimInstance Win32_Processor).NumberOfCores']],
];

export interface SystemProbeOptions {
  /** Where sysfs is mounted (tests give a folder of their own); default /sys. */
  sysRoot?: string;
  /** Which platform's tools to ask; default process.platform (tests give another with captured outputs). */
  platform?: NodeJS.Platform;
  /** Runs vm_stat, sysctl, wmic, powershell; tests give captured outputs. */
  tool?: ToolRunner;
}

interface RamAndCores {
  ramTotalMiB: number;
  ramAvailableMiB: number;
  physicalCores: number;
}

export class SystemHardwareProbe implements HardwareProbe {
  constructor(private readonly options: SystemProbeOptions = {}) {}

  private get platform(): NodeJS.Platform {
    return this.options.platform ?? process.platform;
  }

  private get tool(): ToolRunner {
    return this.options.tool ?? runTool;
  }

  /** RAM, cores, and the GPUs each platform can sample live: NVIDIA (nvidia-smi), then AMD on Linux (sysfs). */
  async sample(): Promise<HardwareFacts> {
    const logical = cpus().length;
    const [ramAndCores, nvidia, amd] = await Promise.all([this.ramAndCores(logical), this.nvidiaGpus(), this.platform === 'linux' ? readSysfsVram(this.options.sysRoot) : Promise.resolve([])]);
    const gpus = [...nvidia, ...amd.map((g, i) => ({ ...g, index: nvidia.length + i }))];
    return { gpus, ...ramAndCores, logicalCores: logical };
  }

  private ramAndCores(logical: number): Promise<RamAndCores> {
    if (this.platform === 'darwin') return this.mac(logical);
    if (this.platform === 'win32') return this.windows(logical);
    return this.linux(logical);
  }

  private async linux(logical: number): Promise<RamAndCores> {
    const [ram, physical] = await Promise.all([this.ram(), this.physicalCores()]);
    return { ...ram, physicalCores: physical ?? logical };
  }

  private async mac(logical: number): Promise<RamAndCores> {
    const [sysctlText, vmStat] = await Promise.all([this.tool('sysctl', ['hw.memsize', 'hw.perflevel0.physicalcpu', 'hw.physicalcpu']), this.tool('vm_stat', [])]);
    const sysctl = parseSysctl(sysctlText ?? '');
    const memsize = positive(sysctl.get('hw.memsize'));
    const ramTotalMiB = memsize !== undefined ? memsize / MiB : totalmem() / MiB;
    const available = vmStat === undefined ? undefined : parseVmStat(vmStat);
    return { ramTotalMiB, ramAvailableMiB: Math.min(ramTotalMiB, available ?? freemem() / MiB), physicalCores: macPhysicalCores(sysctl) ?? logical };
  }

  /** Windows' free memory (GlobalMemoryStatusEx) counts the standby list, so os.freemem() is right there. */
  private async windows(logical: number): Promise<RamAndCores> {
    let physical: number | undefined;
    for (const [command, args] of WINDOWS_CORE_QUERIES) {
      const out = await this.tool(command, args);
      physical = out === undefined ? undefined : parseWindowsCores(out);
      if (physical !== undefined) break;
    }
    // Neither tool answered: assume two threads per core (SMT), the common desktop case, rather than count every thread.
    return { ramTotalMiB: totalmem() / MiB, ramAvailableMiB: freemem() / MiB, physicalCores: physical ?? Math.max(1, Math.floor(logical / 2)) };
  }

  async processRssMiB(pid: number): Promise<number | undefined> {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
      return m ? Number(m[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  async processVramMiB(pid: number): Promise<Map<number, number>> {
    const smi = await which('nvidia-smi');
    if (!smi) return new Map();
    try {
      const [apps, gpus] = await Promise.all([
        run(smi, ['--query-compute-apps=gpu_uuid,pid,used_memory', '--format=csv,noheader,nounits'], { timeoutMs: 10_000 }),
        run(smi, ['--query-gpu=index,uuid', '--format=csv,noheader'], { timeoutMs: 10_000 }),
      ]);
      return parseComputeApps(apps.stdout, gpus.stdout, pid);
    } catch {
      return new Map();
    }
  }

  private async ram(): Promise<{ ramTotalMiB: number; ramAvailableMiB: number }> {
    try {
      const info = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
      if (info) return { ramTotalMiB: info.totalMiB, ramAvailableMiB: info.availableMiB };
    } catch {
      // not Linux
    }
    return { ramTotalMiB: totalmem() / MiB, ramAvailableMiB: freemem() / MiB };
  }

  private async physicalCores(): Promise<number | undefined> {
    try {
      return parsePhysicalCores(await readFile('/proc/cpuinfo', 'utf8'));
    } catch {
      return undefined;
    }
  }

  private async nvidiaGpus(): Promise<GpuFacts[]> {
    const smi = await which('nvidia-smi');
    if (!smi) return [];
    try {
      const { code, stdout } = await run(smi, ['--query-gpu=index,name,memory.total,memory.used,memory.free', '--format=csv,noheader,nounits'], { timeoutMs: 10_000 });
      return code === 0 ? parseNvidiaSmi(stdout).map((g) => ({ ...g, source: 'nvidia-smi' as const })) : [];
    } catch {
      return [];
    }
  }
}

/** Sources whose numbers are sampled again each time: they say what is in use now. */
export function isLiveSource(source: VramSource | undefined): boolean {
  return source === undefined || source === 'nvidia-smi' || source === 'sysfs';
}

/**
 * A GPU's memory as it can be known now: 'live' sampled now, 'unified' RAM itself (the GPU shares it), 'start'
 * llama.cpp's figure from when the server started (nothing samples this device live), 'none' nothing at all.
 */
export type VramReading =
  | { device: string; kind: 'live' | 'unified' | 'start'; usedMiB: number; totalMiB: number; source: VramSource }
  | { device: string; kind: 'none' };

/**
 * One reading per device the server uses (`devices`: as planned, live GPUs or llama.cpp's device list at start),
 * from the live sample where one matches it.
 */
export function vramReadings(devices: readonly GpuFacts[], live: HardwareFacts): VramReading[] {
  return devices.map((d): VramReading => {
    const source = d.source ?? 'nvidia-smi';
    if (source === 'unified') {
      return { device: d.name, kind: 'unified', usedMiB: Math.max(0, live.ramTotalMiB - live.ramAvailableMiB), totalMiB: live.ramTotalMiB, source };
    }
    if (source === 'llama.cpp') return d.totalMiB > 0 ? { device: d.name, kind: 'start', usedMiB: d.usedMiB, totalMiB: d.totalMiB, source } : { device: d.name, kind: 'none' };
    const now = live.gpus.find((g) => (g.source ?? 'nvidia-smi') === source && g.index === d.index);
    return now && now.totalMiB > 0 ? { device: d.name, kind: 'live', usedMiB: now.usedMiB, totalMiB: now.totalMiB, source } : { device: d.name, kind: 'none' };
  });
}

export const VRAM_NOT_MEASURED = 'VRAM not measured for this device';

const gib = (mib: number): string => (mib / 1024).toFixed(1);

/** A reading in a few words: "6.0/12.0 GiB", "0.0/2.0 GiB at start", "12.0/32.0 GiB unified", "not measured". */
function readingWords(r: VramReading): string {
  switch (r.kind) {
    case 'live':
      return `${gib(r.usedMiB)}/${gib(r.totalMiB)} GiB`;
    case 'start':
      return `${gib(r.usedMiB)}/${gib(r.totalMiB)} GiB at start`;
    case 'unified':
      return `${gib(r.usedMiB)}/${gib(r.totalMiB)} GiB unified`;
    case 'none':
      return 'not measured';
  }
}

/**
 * One line for the status bar and the CLI: VRAM per device the server uses when there is one (readings; by default
 * the sampled GPUs), else the server's RSS and system RAM.
 */
export function memoryReadout(facts: HardwareFacts, serverRssMiB: number | undefined, readings: readonly VramReading[] = vramReadings(facts.gpus, facts)): string {
  const only = readings.length === 1 ? readings[0] : undefined;
  if (only?.kind === 'none') return VRAM_NOT_MEASURED;
  if (readings.length > 0) return `VRAM ${readings.map((r) => (r.kind === 'none' ? `not measured for ${r.device}` : readingWords(r))).join(', ')}`;
  const ramUsed = facts.ramTotalMiB - facts.ramAvailableMiB;
  const rss = serverRssMiB === undefined ? '' : serverRssMiB < 1024 ? `${Math.round(serverRssMiB)} MiB` : `${gib(serverRssMiB)} GiB`;
  const server = rss ? `server ${rss} · ` : '';
  return `${server}RAM ${gib(ramUsed)}/${gib(facts.ramTotalMiB)} GiB`;
}
