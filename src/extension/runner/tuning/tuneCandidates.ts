// What a tuning run measures: llama.cpp's own defaults, the plan, and one change at a time around the plan,
// each kept only when the planner says it fits this machine's memory.
import { kvTypeFits } from '../../memory/estimate';
import type { HardwareFacts } from '../../memory/hardware';
import { isMoe, type ModelShape } from '../../memory/modelShape';
import { plan } from '../../memory/plan';
import type { LlamaCppFit, Plan, PlanWishes } from '../../memory/planTypes';
import type { TuneGoal } from './tuner';
import { benchArgsOf, describeSettings, wishesOf, type TuneCandidate, type TuneSettings } from './tuneSettings';

/** llama.cpp's defaults for what the tuner varies (llama-server and llama-bench alike). */
const LLAMA_DEFAULT_BATCH = 2048;
const LLAMA_DEFAULT_UBATCH = 512;
const UBATCHES = [64, 128, 256, 512, 1024];

export interface CandidateInputs {
  shape: ModelShape;
  hardware: HardwareFacts;
  /** The user's wishes (without remembered settings): the plan and every candidate are planned with them. */
  wishes: PlanWishes;
  /** The plan the candidates vary. */
  base: Plan;
  /** What llama.cpp's own fit chose (its -ngl on a GPU): the defaults candidate runs with it. */
  llamaCppFit?: LlamaCppFit;
  /**
   * -ub changes only how a prompt is cut, so its candidates are tried for the prompt goal (undefined: tried too), and
   * only below the prompt size of the test (a larger one would cut the same prompt the same way).
   */
  goal?: TuneGoal;
  promptTokens?: number;
}

export interface CandidateSet {
  candidates: TuneCandidate[];
  /** One sentence per candidate left out because it would not fit. */
  skipped: string[];
}

function settingsOfPlan(p: Plan, shape: ModelShape, gpus: number): TuneSettings {
  const s: TuneSettings = { threads: p.threads, batch: p.batch, ubatch: p.ubatch, flashAttn: p.flashAttn, cacheType: p.cacheTypeK };
  if (gpus > 0) s.gpuLayers = p.gpuLayers.onGpu;
  if (gpus > 0 && isMoe(shape)) s.cpuMoeLayers = p.cpuMoeLayers;
  return s;
}

/** One change at a time around the plan's settings, labelled by what changed. */
function variations(c: CandidateInputs, base: TuneSettings): Array<[string, TuneSettings]> {
  const { shape, hardware } = c;
  const out: Array<[string, TuneSettings]> = [];
  const threadCounts = new Set<number>();
  for (let t = 1; t <= Math.max(1, hardware.physicalCores); t++) threadCounts.add(t);
  // With hyper-threads, one thread per logical core too.
  if (hardware.logicalCores > hardware.physicalCores) threadCounts.add(hardware.logicalCores);
  for (const t of threadCounts) if (t !== base.threads) out.push([t === 1 ? '1 thread' : `${t} threads`, { ...base, threads: t }]);
  const ubatches = c.goal === 'generation' ? [] : UBATCHES.filter((ub) => ub < (c.promptTokens ?? Infinity));
  for (const ub of ubatches) {
    if (ub !== base.ubatch) out.push([`-ub ${ub}`, { ...base, ubatch: ub, batch: Math.max(base.batch ?? LLAMA_DEFAULT_BATCH, ub) }]);
  }
  // A quantized cache needs flash attention: turning it off is only a candidate with an f16 cache.
  if (base.cacheType === 'f16') out.push([`flash attention ${base.flashAttn ? 'off' : 'on'}`, { ...base, flashAttn: !base.flashAttn }]);
  for (const t of ['f16', 'q8_0'] as const) {
    if (t !== base.cacheType && kvTypeFits(shape, t)) out.push([`KV ${t}`, { ...base, cacheType: t, flashAttn: t === 'f16' ? base.flashAttn : true }]);
  }
  // On a GPU: a layer or two fewer than the fit point, or (MoE) the experts of one or two more layers in RAM.
  if (base.gpuLayers !== undefined) {
    for (const fewer of [1, 2]) if (base.gpuLayers - fewer >= 0) out.push([`-ngl ${base.gpuLayers - fewer}`, { ...base, gpuLayers: base.gpuLayers - fewer }]);
  }
  if (base.cpuMoeLayers !== undefined) {
    for (const more of [1, 2]) if (base.cpuMoeLayers + more <= shape.nLayer) out.push([`--n-cpu-moe ${base.cpuMoeLayers + more}`, { ...base, cpuMoeLayers: base.cpuMoeLayers + more }]);
  }
  return out;
}

/** The plan of these settings honours every one of them and fits (every GPU and RAM, with the margins). */
function fitsAsPlanned(c: CandidateInputs, s: TuneSettings): boolean {
  const p = plan(c.shape, c.hardware, { ...c.wishes, ...wishesOf(s) });
  const honoured =
    (s.threads === undefined || p.threads === s.threads) &&
    (s.ubatch === undefined || p.ubatch === s.ubatch) &&
    (s.flashAttn === undefined || p.flashAttn === s.flashAttn) &&
    (s.cacheType === undefined || p.cacheTypeK === s.cacheType) &&
    (s.gpuLayers === undefined || p.gpuLayers.onGpu === s.gpuLayers) &&
    (s.cpuMoeLayers === undefined || p.cpuMoeLayers === s.cpuMoeLayers);
  return honoured && p.fits;
}

/**
 * llama.cpp's defaults first (so the winner is never slower than them on the same run), then the plan, then one change
 * at a time around it. Every candidate but the defaults is checked against the memory plan: none that would not fit.
 */
export function tuneCandidates(c: CandidateInputs): CandidateSet {
  const gpus = c.hardware.gpus.length;
  const fitLayers = gpus > 0 ? (c.llamaCppFit?.gpuLayers ?? c.base.gpuLayers.onGpu) : undefined;
  const defaults: TuneSettings = {
    threads: Math.max(1, c.hardware.physicalCores),
    batch: LLAMA_DEFAULT_BATCH,
    ubatch: LLAMA_DEFAULT_UBATCH,
    cacheType: 'f16',
    ...(fitLayers !== undefined && { gpuLayers: fitLayers }),
  };
  const candidates: TuneCandidate[] = [
    { label: "llama.cpp's defaults", settings: defaults, benchArgs: fitLayers !== undefined ? ['-ngl', String(fitLayers)] : [], isDefault: true },
  ];
  const skipped: string[] = [];
  const seen = new Set<string>();
  const base = settingsOfPlan(c.base, c.shape, gpus);
  for (const [label, settings] of [['plan', base] as [string, TuneSettings], ...variations(c, base)]) {
    const args = benchArgsOf(settings);
    const key = args.join(' ');
    if (seen.has(key)) continue;
    seen.add(key);
    if (!fitsAsPlanned(c, settings)) {
      skipped.push(`${label} (${describeSettings(settings)}): does not fit this machine's memory.`);
      continue;
    }
    candidates.push({ label, settings, benchArgs: args, isDefault: false });
  }
  return { candidates, skipped };
}
