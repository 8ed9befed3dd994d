// Turns a PlanReport into what the plan panel and `headroom plan` draw: per device, how its memory
// divides into weights, KV cache, compute buffers, other programs, the margin and what stays free;
// and the plan's choices as short labelled facts. Pure and vscode-free.
import type { PlanDeviceView, PlanFact, PlanView, SegmentKind } from '../../webview/protocol/plan';
import type { HardwareFacts } from '../memory/hardware';
import type { PlanReport } from '../memory/planReport';
import type { Plan } from '../memory/planTypes';

export const DEFAULT_MARGIN_MIB = 1024;

interface DeviceInput {
  label: string;
  kind: 'gpu' | 'ram';
  totalMiB: number;
  freeMiB: number;
  modelMiB: number;
  contextMiB: number;
  computeMiB: number;
  marginMiB: number;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? n : 0);

export function deviceView(d: DeviceInput): PlanDeviceView {
  const totalMiB = nonNegative(d.totalMiB);
  const freeMiB = Math.min(nonNegative(d.freeMiB), totalMiB);
  const weightsMiB = nonNegative(d.modelMiB);
  const kvMiB = nonNegative(d.contextMiB);
  const computeMiB = nonNegative(d.computeMiB);
  const marginMiB = nonNegative(d.marginMiB);
  const otherMiB = totalMiB - freeMiB;
  const used = weightsMiB + kvMiB + computeMiB;
  const leftMiB = freeMiB - used;
  const marginPart = Math.min(Math.max(leftMiB, 0), marginMiB);
  const freePart = Math.max(leftMiB - marginMiB, 0);
  const parts: [SegmentKind, number][] = [
    ['weights', weightsMiB],
    ['kv', kvMiB],
    ['compute', computeMiB],
    ['other', otherMiB],
    ['margin', marginPart],
    ['free', freePart],
  ];
  return {
    label: d.label,
    kind: d.kind,
    totalMiB,
    otherMiB,
    weightsMiB,
    kvMiB,
    computeMiB,
    leftMiB,
    marginMiB,
    segments: parts.map(([kind, mib]) => ({ kind, mib })),
    overMiB: Math.max(used - (freeMiB - marginMiB), 0),
  };
}

/** "NVIDIA GeForce RTX 3060" -> "RTX 3060". */
export function shortGpuName(name: string): string {
  return name.replace(/^NVIDIA\s+/i, '').replace(/^GeForce\s+/i, '').trim();
}

/** "CUDA0 RTX 3060": the backend name when the plan has it (dry run), the GPU's model name when known. */
export function gpuLabel(name: string, index: number, hardware: HardwareFacts): string {
  const isBackendName = /^[A-Za-z]+\d+$/.test(name);
  const backend = isBackendName ? name : `GPU${index}`;
  const model = isBackendName ? (hardware.gpus[index]?.name ?? '') : name;
  return `${backend} ${shortGpuName(model)}`.trim();
}

export function planDevices(report: PlanReport): PlanDeviceView[] {
  const { plan, hardware } = report;
  // A worker's margin is its own (its free memory less its budget); the local GPUs after the workers are GPU0, GPU1...
  const workers = plan.devices.filter((d) => d.worker).length;
  const gpus = plan.devices.map((d, i) =>
    deviceView({
      ...d,
      label: d.worker ? `${d.name} worker ${d.worker}` : gpuLabel(d.name, i - workers, hardware),
      kind: 'gpu',
      marginMiB: d.marginMiB ?? report.marginMiB ?? DEFAULT_MARGIN_MIB,
    }),
  );
  const ram = deviceView({
    label: 'RAM',
    kind: 'ram',
    totalMiB: hardware.ramTotalMiB,
    freeMiB: hardware.ramAvailableMiB,
    ...plan.host,
    marginMiB: report.ramMarginMiB ?? DEFAULT_MARGIN_MIB,
  });
  return [...gpus, ram];
}

export function gib(mib: number): string {
  return (mib / 1024).toFixed(1);
}

/** "33/33 layers on GPU", "0/33 layers on GPU (CPU only)". */
export function gpuLayersText(plan: Plan): string {
  const { onGpu, total } = plan.gpuLayers;
  if (plan.devices.some((d) => d.worker)) return `${onGpu}/${total} layers on RPC workers${plan.devices.some((d) => !d.worker) ? ' and GPUs' : ''}`;
  return `${onGpu}/${total} layers on GPU${plan.devices.length === 0 ? ' (CPU only)' : ''}`;
}

/** "MoE experts of 21/48 layers in RAM", or undefined for a dense model or none in RAM. */
export function moeText(plan: Plan): string | undefined {
  if (plan.cpuMoeLayers <= 0) return undefined;
  const layers = Math.max(plan.gpuLayers.total - 1, plan.cpuMoeLayers);
  return `MoE experts of ${Math.min(plan.cpuMoeLayers, layers)}/${layers} layers in RAM`;
}

/** Where the KV cache lives: "GPU", "RAM" or "GPU + RAM". */
export function kvLocation(plan: Plan): string {
  const onGpu = plan.devices.reduce((sum, d) => sum + d.contextMiB, 0);
  const inRam = plan.host.contextMiB;
  if (onGpu > 0 && inRam > 0) return 'GPU + RAM';
  return onGpu > 0 ? 'GPU' : 'RAM';
}

export function kvTypesText(plan: Plan): string {
  return plan.cacheTypeK === plan.cacheTypeV ? plan.cacheTypeK : `K ${plan.cacheTypeK}, V ${plan.cacheTypeV}`;
}

export function sourceLabel(plan: Plan): string {
  return plan.source === 'dry-run' ? 'dry run of this llama.cpp build' : "estimate (Headroom's estimator; no dry run)";
}

/** One line, e.g. for the status-bar tooltip: "33/33 layers on GPU · KV cache f16 on GPU · ctx 8192". */
export function planSummary(plan: Plan): string {
  const parts = [gpuLayersText(plan)];
  const moe = moeText(plan);
  if (moe) parts.push(moe);
  parts.push(`KV cache ${kvTypesText(plan)} in ${kvLocation(plan)}`, `ctx ${plan.contextSize}`);
  return parts.join(' · ');
}

export function planFacts(plan: Plan): PlanFact[] {
  const kvMiB = plan.devices.reduce((sum, d) => sum + d.contextMiB, 0) + plan.host.contextMiB;
  const facts: PlanFact[] = [{ label: 'GPU layers', value: gpuLayersText(plan) }];
  const moe = moeText(plan);
  if (moe) facts.push({ label: 'MoE experts', value: moe });
  if (plan.tensorSplit && plan.tensorSplit.length > 1) facts.push({ label: 'Tensor split', value: plan.tensorSplit.join(' / ') });
  facts.push(
    { label: 'Context', value: `${plan.contextSize} tokens` },
    { label: 'KV cache', value: `${kvTypesText(plan)}, ${gib(kvMiB)} GiB in ${kvLocation(plan)}` },
    { label: 'Flash attention', value: plan.flashAttn ? 'on' : 'off' },
    { label: 'Threads', value: String(plan.threads) },
    { label: 'mmap', value: plan.mmap ? 'on' : 'off (--no-mmap)' },
    { label: 'Batch', value: `${plan.batch} (ubatch ${plan.ubatch})` },
  );
  return facts;
}

export function planView(report: PlanReport): PlanView {
  const { plan } = report;
  return {
    modelName: report.modelName,
    modelPath: report.modelPath,
    source: plan.source,
    sourceLabel: sourceLabel(plan),
    fits: plan.fits,
    devices: planDevices(report),
    facts: planFacts(plan),
    reasons: [...plan.reasons],
    warnings: [...plan.warnings],
    commandLine: report.commandLine,
  };
}
