import { readFile } from 'node:fs/promises';
import { cpus, freemem, totalmem } from 'node:os';
import { run, which } from '../common/run';

const MiB = 1024 * 1024;

export interface GpuFacts {
  index: number;
  name: string;
  totalMiB: number;
  freeMiB: number;
  usedMiB: number;
}

export interface HardwareFacts {
  gpus: GpuFacts[];
  ramTotalMiB: number;
  /** MemAvailable (what can be allocated without swapping), not MemFree. */
  ramAvailableMiB: number;
  physicalCores: number;
  logicalCores: number;
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

export class SystemHardwareProbe implements HardwareProbe {
  async sample(): Promise<HardwareFacts> {
    const [ram, physical, gpus] = await Promise.all([this.ram(), this.physicalCores(), this.nvidiaGpus()]);
    const logical = cpus().length;
    return { gpus, ...ram, physicalCores: physical ?? logical, logicalCores: logical };
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
      return code === 0 ? parseNvidiaSmi(stdout) : [];
    } catch {
      return [];
    }
  }
}

/** One line for the status bar: VRAM when a GPU is known, else the server's RSS and system RAM. */
export function memoryReadout(facts: HardwareFacts, serverRssMiB: number | undefined): string {
  const gib = (mib: number): string => (mib / 1024).toFixed(1);
  if (facts.gpus.length > 0) {
    const used = facts.gpus.reduce((s, g) => s + g.usedMiB, 0);
    const total = facts.gpus.reduce((s, g) => s + g.totalMiB, 0);
    return `VRAM ${gib(used)}/${gib(total)} GiB`;
  }
  const ramUsed = facts.ramTotalMiB - facts.ramAvailableMiB;
  const rss = serverRssMiB === undefined ? '' : serverRssMiB < 1024 ? `${Math.round(serverRssMiB)} MiB` : `${gib(serverRssMiB)} GiB`;
  const server = rss ? `server ${rss} · ` : '';
  return `${server}RAM ${gib(ramUsed)}/${gib(facts.ramTotalMiB)} GiB`;
}
