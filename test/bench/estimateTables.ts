// The estimate-vs-dry-run tables of BENCHMARKS.md: one row per case and device, each cell
// "dry run / estimate MiB (error)", the development and the held-back cases in separate tables.
import { COMPONENTS, relativeError, tolerance, type CaseResult, type Components } from '../integration/estimateMatrix';
import { itemAt } from '../fixtures/itemAt';

const pct = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : 'n/a');

function cell(measured: number, estimated: number): string {
  const flag = Math.abs(estimated - measured) > tolerance(measured) ? ' **out**' : '';
  return `${measured} / ${estimated.toFixed(0)} (${pct(relativeError(estimated, measured))})${flag}`;
}

/** Worst relative and absolute error of one component over the cases' devices. */
function worst(results: readonly CaseResult[], key: keyof Components): string {
  const errs = results.flatMap((r) => r.devices.map((d) => ({ abs: Math.abs(d.estimated[key] - d.measured[key]), rel: Math.abs(relativeError(d.estimated[key], d.measured[key])) })));
  const rel = Math.max(0, ...errs.map((x) => (Number.isFinite(x.rel) ? x.rel : 0)));
  const abs = Math.max(0, ...errs.map((x) => x.abs));
  return `${(rel * 100).toFixed(1)}% (${abs.toFixed(1)} MiB)`;
}

export function summary(results: readonly CaseResult[]): string {
  const dry = results.map((r) => r.dryRunMs).sort((a, b) => a - b);
  const est = results.map((r) => r.estimateMs).sort((a, b) => a - b);
  const out = results.flatMap((r) => r.devices.flatMap((d) => COMPONENTS.filter((k) => Math.abs(d.estimated[k] - d.measured[k]) > tolerance(d.measured[k]))));
  return [
    `Worst error: model ${worst(results, 'modelMiB')}, context ${worst(results, 'contextMiB')}, compute ${worst(results, 'computeMiB')}; ${out.length} of ${results.reduce((a, r) => a + r.devices.length * COMPONENTS.length, 0)} components out of tolerance (5% or 32 MiB).`,
    `Dry run: median ${itemAt(dry, Math.floor(dry.length / 2)).toFixed(0)} ms, max ${itemAt(dry, -1).toFixed(0)} ms. Estimate: median ${itemAt(est, Math.floor(est.length / 2)).toFixed(1)} ms, max ${itemAt(est, -1).toFixed(1)} ms.`,
  ].join('\n');
}

/** One table: a row per case and device (host first), plus the CPU_REPACK part of the host's weights. */
export function table(results: readonly CaseResult[]): string {
  const rows = results.flatMap((r) =>
    r.devices.map((d, i) => {
      const repack = i === 0 ? cell(r.repack.measured, r.repack.estimated) : '';
      return `| ${i === 0 ? r.name : ''} | ${d.name} | ${cell(d.measured.modelMiB, d.estimated.modelMiB)} | ${cell(d.measured.contextMiB, d.estimated.contextMiB)} | ${cell(d.measured.computeMiB, d.estimated.computeMiB)} | ${repack} |`;
    }),
  );
  return ['| case | device | model | context | compute | CPU_REPACK |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/** The development table, then the held-back one, each with its summary. */
export function matrixSection(results: readonly CaseResult[]): string {
  const dev = results.filter((r) => !r.heldBack);
  const held = results.filter((r) => r.heldBack);
  return [
    `### Development cases (${dev.length})`,
    '',
    summary(dev),
    '',
    table(dev),
    '',
    `### Held-back cases (${held.length})`,
    '',
    'Chosen before the estimator was checked against them, and run only here and in the tests.',
    '',
    summary(held),
    '',
    table(held),
  ].join('\n');
}
