// One tuning candidate's settings, and the two ways they are said: llama-bench's arguments and the planner's wishes.
import type { MeasuredSettings, PlanWishes } from '../../memory/planTypes';

export type TuneSettings = Omit<MeasuredSettings, 'summary'>;

/** What the tuner measures: llama.cpp's defaults (no arguments but a GPU's fitted layers) or settings around the plan. */
export interface TuneCandidate {
  /** Short, unique within a run: "llama.cpp defaults", "plan", "1 thread", "-ub 256"... */
  label: string;
  /** The settings in full, as remembered when this candidate wins (llama.cpp's defaults as values too). */
  settings: TuneSettings;
  /** llama-bench's arguments for these settings. */
  benchArgs: string[];
  isDefault: boolean;
}

/** llama-bench's arguments for settings (each unset one is left at llama.cpp's default). */
export function benchArgsOf(s: TuneSettings): string[] {
  const args: string[] = [];
  if (s.gpuLayers !== undefined) args.push('-ngl', String(s.gpuLayers));
  if (s.cpuMoeLayers !== undefined && s.cpuMoeLayers > 0) args.push('-ncmoe', String(s.cpuMoeLayers));
  if (s.threads !== undefined) args.push('-t', String(s.threads));
  if (s.batch !== undefined) args.push('-b', String(s.batch));
  if (s.ubatch !== undefined) args.push('-ub', String(s.ubatch));
  if (s.flashAttn !== undefined) args.push('-fa', s.flashAttn ? '1' : '0');
  if (s.cacheType !== undefined) args.push('-ctk', s.cacheType, '-ctv', s.cacheType);
  return args;
}

/** The planner's wishes for settings (every set one is a wish; a quantized cache brings flash attention with it). */
export function wishesOf(s: TuneSettings): PlanWishes {
  const w: PlanWishes = {};
  if (s.threads !== undefined) w.threads = s.threads;
  if (s.batch !== undefined) w.batch = s.batch;
  if (s.ubatch !== undefined) w.ubatch = s.ubatch;
  if (s.flashAttn !== undefined) w.flashAttn = s.flashAttn ? 'on' : 'off';
  if (s.cacheType !== undefined) w.cacheTypeK = w.cacheTypeV = s.cacheType;
  if (s.gpuLayers !== undefined) w.gpuLayers = s.gpuLayers;
  if (s.cpuMoeLayers !== undefined) w.cpuMoeLayers = s.cpuMoeLayers;
  return w;
}

/** "2 threads, -b 2048 -ub 512, flash attention on, KV f16" (only what is set). */
export function describeSettings(s: TuneSettings): string {
  const parts: string[] = [];
  if (s.gpuLayers !== undefined) parts.push(`-ngl ${s.gpuLayers}`);
  if (s.cpuMoeLayers !== undefined && s.cpuMoeLayers > 0) parts.push(`--n-cpu-moe ${s.cpuMoeLayers}`);
  if (s.threads !== undefined) parts.push(s.threads === 1 ? '1 thread' : `${s.threads} threads`);
  if (s.batch !== undefined || s.ubatch !== undefined) parts.push([s.batch !== undefined && `-b ${s.batch}`, s.ubatch !== undefined && `-ub ${s.ubatch}`].filter(Boolean).join(' '));
  if (s.flashAttn !== undefined) parts.push(`flash attention ${s.flashAttn ? 'on' : 'off'}`);
  if (s.cacheType !== undefined) parts.push(`KV ${s.cacheType}`);
  return parts.join(', ');
}
