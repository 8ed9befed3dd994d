// Small statistics for benchmark tables: medians and spreads over repeated, interleaved runs.
import { itemAt } from '../fixtures/itemAt';

/** The q-quantile (0..1) of xs, by linear interpolation between order statistics. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) throw new Error('quantile of no values');
  const sorted = [...xs].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(low + 1, sorted.length - 1);
  return itemAt(sorted, low) + (itemAt(sorted, high) - itemAt(sorted, low)) * (at - low);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** "median (min–max, n runs)" with `digits` decimals. */
export function spread(xs: readonly number[], digits: number, unit = ''): string {
  const f = (x: number): string => `${x.toFixed(digits)}${unit}`;
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))}, n=${xs.length})`;
}
