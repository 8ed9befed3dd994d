// `headroom plan`'s human output: per device a stacked text bar of weights, KV cache, compute, other
// programs, margin and free memory against the device's total; a table of the same numbers in MiB; the
// estimate beside a dry run's measurement; the plan's choices, llama.cpp's own fit, reasons and warnings; where the
// numbers come from; and the exact command line.
import type { PlanDeviceView, SegmentKind } from '../../webview/protocol/plan';
import type { PlanReport } from '../memory/planReport';
import type { LlamaCppFit, MemoryParts } from '../memory/planTypes';
import { gib, planView } from './planView';

export interface PlanTextOptions {
  /** Cells in each device's bar (default 32). */
  width?: number;
  /** ANSI colours (default false). */
  color?: boolean;
}

const CELL: Record<SegmentKind, string> = {
  weights: '█',
  kv: '▓',
  compute: '▒',
  other: '▚',
  margin: '░',
  free: ' ',
};

const ANSI: Record<SegmentKind, string> = {
  weights: '\x1b[34m',
  kv: '\x1b[35m',
  compute: '\x1b[33m',
  other: '\x1b[90m',
  margin: '\x1b[36m',
  free: '',
};
const RESET = '\x1b[0m';

const LEGEND_NAMES: Record<SegmentKind, string> = {
  weights: 'weights',
  kv: 'KV cache',
  compute: 'compute',
  other: 'other programs',
  margin: 'margin',
  free: 'free',
};

/**
 * Cells per segment, summing to `width`: largest remainders, and at least one cell for every
 * non-empty part of the model (weights, KV cache, compute) so that a small one never vanishes.
 */
export function barCells(segments: ReadonlyArray<{ kind: SegmentKind; mib: number }>, width: number): number[] {
  const total = segments.reduce((sum, s) => sum + s.mib, 0);
  if (total <= 0 || width <= 0) return segments.map((_, i) => (i === segments.length - 1 ? Math.max(width, 0) : 0));
  const exact = segments.map((s) => (s.mib / total) * width);
  const rest = width - exact.reduce((sum, x) => sum + Math.floor(x), 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  const roundedUp = new Set(byRemainder.slice(0, Math.max(rest, 0)).map(([, i]) => i));
  const cells = exact.map((x, i) => Math.floor(x) + (roundedUp.has(i) ? 1 : 0));
  segments.forEach((s, i) => {
    const isModel = s.kind === 'weights' || s.kind === 'kv' || s.kind === 'compute';
    if (!isModel || s.mib <= 0 || cells[i] !== 0) return;
    // Take the cell from the widest segment that can spare one.
    let donor: number | undefined;
    let donorCells = 1;
    cells.forEach((c, j) => {
      if (j !== i && c > donorCells) {
        donor = j;
        donorCells = c;
      }
    });
    if (donor !== undefined) {
      cells[donor] = donorCells - 1;
      cells[i] = 1;
    }
  });
  return cells;
}

function bar(device: PlanDeviceView, width: number, color: boolean): string {
  const cells = barCells(device.segments, width);
  return device.segments
    .map((s, i) => {
      const text = CELL[s.kind].repeat(cells[i]!); // barCells gives one count per segment
      return color && ANSI[s.kind] && text ? `${ANSI[s.kind]}${text}${RESET}` : text;
    })
    .join('');
}

function legend(color: boolean): string {
  return (Object.keys(CELL) as SegmentKind[])
    .map((kind) => {
      const cell = kind === 'free' ? '[ ]' : CELL[kind];
      return `${color && ANSI[kind] ? `${ANSI[kind]}${cell}${RESET}` : cell} ${LEGEND_NAMES[kind]}`;
    })
    .join('  ');
}

function table(rows: string[][], rightAlignFrom = 1): string[] {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c >= rightAlignFrom ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

const mib = (n: number): string => String(Math.round(n));

/** llama.cpp's own fit in one line; its -ot list can run to kilobytes, so it is counted here (the JSON has it whole). */
export function llamaCppFitLine(fit: LlamaCppFit): string {
  const parts = [`-ngl ${fit.gpuLayers}`, `-c ${fit.contextSize}`];
  if (fit.tensorSplit) parts.push(`-ts ${fit.tensorSplit.join(',')}`);
  if (fit.tensorOverrides) parts.push(`-ot <${fit.tensorOverrides.length} tensor override${fit.tensorOverrides.length === 1 ? '' : 's'}>`);
  return `llama.cpp's own fit: ${parts.join(' ')}`;
}

/** Per device, then RAM: Headroom's estimate beside the dry run's measurement; none without a dry run. */
function estimateRows(report: PlanReport, labels: readonly string[]): string[][] {
  const { plan } = report;
  if (plan.source !== 'dry-run' || !plan.estimate) return [];
  const measured: MemoryParts[] = [...plan.devices, plan.host];
  const estimated = [...plan.estimate.devices, plan.estimate.host];
  return measured.flatMap((m, i) => {
    const e = estimated[i];
    const label = labels[i];
    if (!e || label === undefined) return [];
    return [[label, `${mib(e.modelMiB)}/${mib(m.modelMiB)}`, `${mib(e.contextMiB)}/${mib(m.contextMiB)}`, `${mib(e.computeMiB)}/${mib(m.computeMiB)}`]];
  });
}

export function renderPlanText(report: PlanReport, opts: PlanTextOptions = {}): string {
  const width = Math.max(8, Math.floor(opts.width ?? 32));
  const color = opts.color ?? false;
  const view = planView(report);
  const out: string[] = [];

  out.push(`Memory plan for ${view.modelName}`, `  ${view.modelPath}`);
  out.push(`Source: ${view.sourceLabel}`);
  out.push(view.fits ? 'Fits: yes' : 'Fits: NO, see the warnings below');
  out.push('');

  const labelWidth = Math.max(...view.devices.map((d) => d.label.length));
  const totalWidth = Math.max(...view.devices.map((d) => gib(d.totalMiB).length));
  for (const d of view.devices) {
    const numbers = `model ${gib(d.weightsMiB)}  KV ${gib(d.kvMiB)}  compute ${gib(d.computeMiB)}  free ${gib(d.leftMiB)}`;
    const over = d.overMiB > 0 ? `  OVER by ${gib(d.overMiB)} GiB` : '';
    out.push(`${d.label.padEnd(labelWidth)}  ${gib(d.totalMiB).padStart(totalWidth)} GiB [${bar(d, width, color)}] ${numbers}${over}`);
  }
  out.push(legend(color), '');

  const rows = [
    ['MiB', 'total', 'others', 'weights', 'KV cache', 'compute', 'free after', 'margin'],
    ...view.devices.map((d) => [
      d.label,
      mib(d.totalMiB),
      mib(d.otherMiB),
      mib(d.weightsMiB),
      mib(d.kvMiB),
      mib(d.computeMiB),
      `${d.overMiB > 0 ? '!' : ''}${mib(d.leftMiB)}`,
      mib(d.marginMiB),
    ]),
  ];
  out.push(...table(rows), '');
  const compared = estimateRows(report, view.devices.map((d) => d.label));
  if (compared.length > 0) out.push(...table([['MiB, estimate/dry run', 'weights', 'KV cache', 'compute'], ...compared]), '');

  const factWidth = Math.max(...view.facts.map((f) => f.label.length));
  for (const f of view.facts) out.push(`${f.label.padEnd(factWidth)}  ${f.value}`);
  if (report.llamaCppFit) out.push('', llamaCppFitLine(report.llamaCppFit));

  if (view.reasons.length > 0) out.push('', 'Why:', ...view.reasons.map((r) => `  - ${r}`));
  if (view.warnings.length > 0) out.push('', 'Warnings:', ...view.warnings.map((w) => `  ! ${w}`));
  out.push('', 'Command line:', `  ${view.commandLine}`);
  return `${out.join('\n')}\n`;
}
