// What the status-bar item says: its text, its tooltip (Markdown with theme icons) and whether it is coloured as a
// warning or an error. vscode-free, so the words are tested without an editor; vscode/server/statusBar.ts shows them.
import { memoryReadout, VRAM_NOT_MEASURED, type HardwareFacts, type VramReading } from '../memory/hardware';
import type { MemoryAlert } from '../memory/memoryWatch';
import type { PlanReport } from '../memory/planReport';
import { formatGiB } from '../memory/formatGiB';
import type { ServerState } from '../llama/serverState';
import { planSummary, sourceLabel } from './planView';
import type { ServerView } from './serverView';

const ICONS: Record<ServerState['kind'], string> = {
  stopped: '$(circle-slash)',
  locating: '$(loading~spin)',
  planning: '$(loading~spin)',
  building: '$(tools)',
  starting: '$(loading~spin)',
  loading: '$(loading~spin)',
  ready: '$(pulse)',
  crashed: '$(warning)',
  failed: '$(error)',
};

/** One sample of the machine while the server is ready. */
export interface MemorySample {
  facts: HardwareFacts;
  /** The server's resident memory, MiB, when known. */
  serverRssMiB?: number;
  /** One per GPU the server uses (see vramReadings). */
  readings: readonly VramReading[];
}

export interface StatusBarInput {
  state: ServerState;
  view: ServerView;
  /** The last sample while ready; none before the first. */
  memory?: MemorySample;
  tokensPerSecond: number | null;
  alerts: readonly MemoryAlert[];
  plan?: PlanReport;
}

export interface StatusBarContent {
  text: string;
  /** Markdown with $(icon) theme icons; nothing in it is trusted. */
  tooltip: string;
  background?: 'error' | 'warning';
}

const SOURCE_WORDS = { 'nvidia-smi': 'nvidia-smi', sysfs: "the amdgpu driver's sysfs" } as const;

/** A tooltip sentence per device: what is known of its memory, and how. */
export function vramSentence(r: VramReading, plannedMiB: number | undefined): string {
  const planned = plannedMiB !== undefined && plannedMiB > 0 ? ` The plan puts ${formatGiB(plannedMiB)} on it.` : '';
  switch (r.kind) {
    case 'live':
      return `VRAM on ${r.device}: ${formatGiB(r.usedMiB)} of ${formatGiB(r.totalMiB)} in use (${r.source === 'sysfs' ? SOURCE_WORDS.sysfs : SOURCE_WORDS['nvidia-smi']}, live).`;
    case 'start':
      return `VRAM on ${r.device}: ${formatGiB(r.usedMiB)} of ${formatGiB(r.totalMiB)} in use when the server started, as llama.cpp listed it; nothing samples this device live.${planned}`;
    case 'unified':
      return `${r.device} shares RAM with the CPU (unified memory): ${formatGiB(r.usedMiB)} of ${formatGiB(r.totalMiB)} of RAM in use.`;
    case 'none':
      return `${r.device}: ${VRAM_NOT_MEASURED}.${planned}`;
  }
}

export function statusBarContent(input: StatusBarInput): StatusBarContent {
  const { state, view, memory, alerts, plan } = input;
  const ready = state.kind === 'ready';
  const readout = memory ? memoryReadout(memory.facts, memory.serverRssMiB, memory.readings) : '';
  const parts = [`${ready && alerts.length > 0 ? '$(warning)' : ICONS[state.kind]} Headroom`];
  if (ready) {
    if (readout) parts.push(readout);
    if (input.tokensPerSecond !== null) parts.push(`${input.tokensPerSecond.toFixed(1)} tok/s`);
  } else if (state.kind !== 'stopped') {
    parts.push(view.label);
  }

  let tip = `**Headroom** — ${escapeMd(view.label)}\n\n`;
  if (ready) {
    tip += `Model: ${codeSpan(state.model)}  \nContext: ${state.contextSize} tokens  \nServer: ${escapeMd(state.baseUrl)} (pid ${state.pid})\n\n`;
    if (memory) {
      const planned = plan?.plan.devices.map((d) => d.modelMiB + d.contextMiB + d.computeMiB) ?? [];
      for (const [i, r] of memory.readings.entries()) tip += `${escapeMd(vramSentence(r, planned[i]))}\n\n`;
      if (memory.readings.length === 0) tip += `Memory: ${escapeMd(readout)}\n\n`;
    }
    if (plan) tip += `Plan (${escapeMd(sourceLabel(plan.plan))}): ${escapeMd(planSummary(plan.plan))}\n\n`;
    for (const alert of alerts) tip += `$(warning) ${escapeMd(alert.message)}\n\n`;
  }
  if (view.detail && !ready) tip += codeBlock(view.detail);
  tip += 'Click for actions.';

  const background = state.kind === 'failed' || state.kind === 'crashed' ? 'error' : ready && alerts.length > 0 ? 'warning' : undefined;
  return { text: parts.join(' · '), tooltip: tip, ...(background && { background }) };
}

/** The longest run of backticks in `text`. */
function longestBackticks(text: string): number {
  return Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
}

/** A Markdown code span of `text` as is: backslash escapes are literal inside one, so the fence outgrows any backtick run. */
function codeSpan(text: string): string {
  const fence = '`'.repeat(longestBackticks(text) + 1);
  return `${fence} ${text} ${fence}`;
}

/** A fenced plain-text block of `text` as is, its fence longer than any backtick run inside. */
function codeBlock(text: string): string {
  const fence = '`'.repeat(Math.max(3, longestBackticks(text) + 1));
  return `\n${fence}text\n${text}\n${fence}\n`;
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
