// The remembered winners: one per model file and machine, in a small JSON file under Headroom's cache. A model file
// that changed (size, mtime), other hardware (CPU, cores, GPUs) or another llama.cpp build makes an entry stale.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../chat/storeFiles';
import { isRecord } from '../../common/isRecord';
import type { HardwareFacts } from '../../memory/hardware';
import type { MeasuredSettings } from '../../memory/planTypes';

const VERSION = 1;
export const TUNING_FILE = 'tuning.json';

export interface ModelIdentity {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface RememberedTuning {
  model: ModelIdentity;
  /** hardwareFingerprint() of the machine and build it was measured on. */
  hardware: string;
  goal: string;
  settings: MeasuredSettings;
  tunedAt: string;
}

/** CPU model, cores, GPUs (name and total memory, not the free memory of the moment) and the llama.cpp build. */
export function hardwareFingerprint(hardware: HardwareFacts, buildVersion: string, cpuModel = cpus()[0]?.model ?? 'unknown CPU'): string {
  const gpus = hardware.gpus.map((g) => `${g.name} ${g.totalMiB} MiB`).join(', ') || 'no GPU';
  return `${cpuModel.trim()}; ${hardware.physicalCores} cores, ${hardware.logicalCores} threads; ${gpus}; llama.cpp ${buildVersion}`;
}

export async function modelIdentity(path: string): Promise<ModelIdentity> {
  const s = await stat(path);
  return { path: resolve(path), size: s.size, mtimeMs: s.mtimeMs };
}

function isEntry(v: unknown): v is RememberedTuning {
  return (
    isRecord(v) && isRecord(v.model) && typeof v.model.path === 'string' && typeof v.model.size === 'number' &&
    typeof v.model.mtimeMs === 'number' && typeof v.hardware === 'string' && isRecord(v.settings) && typeof v.settings.summary === 'string'
  );
}

/** The tuning file in `dir` (Headroom's cache; tests give a temp folder). */
export class TuneStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, TUNING_FILE);
  }

  /** Every entry; a missing or unreadable file is an empty one (a remembered tuning is a speed-up, never a reason to fail). */
  async entries(): Promise<RememberedTuning[]> {
    let data: unknown;
    try {
      data = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return [];
    }
    return isRecord(data) && data.version === VERSION && Array.isArray(data.entries) ? data.entries.filter(isEntry) : [];
  }

  /** The settings remembered for this very model file on this machine and build, if any. */
  async lookup(modelPath: string, fingerprint: string): Promise<RememberedTuning | undefined> {
    let model: ModelIdentity;
    try {
      model = await modelIdentity(modelPath);
    } catch {
      return undefined;
    }
    return (await this.entries()).find(
      (e) => e.model.path === model.path && e.model.size === model.size && e.model.mtimeMs === model.mtimeMs && e.hardware === fingerprint,
    );
  }

  /** Remembers a winner, replacing what was remembered for the same model path and machine. */
  async save(entry: RememberedTuning): Promise<void> {
    const kept = (await this.entries()).filter((e) => !(e.model.path === entry.model.path && e.hardware === entry.hardware));
    await mkdir(join(this.file, '..'), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify({ version: VERSION, entries: [...kept, entry] }, null, 2)}\n`);
  }
}
