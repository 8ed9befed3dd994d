// Statistics of a tuning run: medians and distribution-free confidence intervals of the median, and the stopping rule.

/** The median of samples (NaN when there are none). */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** P(X <= k) for X ~ Binomial(n, 1/2). */
function binomialCdfHalf(n: number, k: number): number {
  let term = Math.pow(0.5, n);
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

export interface Interval {
  low: number;
  high: number;
}

/**
 * The ~95% confidence interval of the median from order statistics (no assumption of a distribution: one slow
 * repetition on a busy machine moves it by one rank, not by its size). Below 6 samples it is [min, max].
 */
export function medianInterval(samples: readonly number[]): Interval {
  const s = [...samples].sort((a, b) => a - b);
  if (s.length === 0) return { low: NaN, high: NaN };
  let k = 0; // samples cut from each end
  while (k + 1 < s.length / 2 && binomialCdfHalf(s.length, k) <= 0.025) k++;
  return { low: s[k]!, high: s[s.length - 1 - k]! };
}

export interface Ranked {
  id: number;
  median: number;
  interval: Interval;
}

export type Decision =
  | { stop: true; reason: 'separated' | 'tie' }
  | { stop: false; next: number[] };

/**
 * The sequential design: after each round, the candidates whose interval still overlaps the leader's stay in (at most
 * half of them, and at least two, when more than four do: successive halving); the run stops when the leader's interval
 * is clear of every other candidate's ('separated') or when the remaining ones each have `maxSamples` ('tie': equally
 * fast within the noise, the best median wins).
 */
export function decide(ranked: readonly Ranked[], samplesOf: (id: number) => number, maxSamples: number): Decision {
  const byMedian = [...ranked].filter((r) => Number.isFinite(r.median)).sort((a, b) => b.median - a.median);
  const leader = byMedian[0];
  if (!leader) return { stop: true, reason: 'tie' };
  const close = byMedian.filter((r) => r === leader || r.interval.high >= leader.interval.low);
  if (close.length < 2) return { stop: true, reason: 'separated' };
  const keep = close.length > 4 ? close.slice(0, Math.max(2, Math.ceil(close.length / 2))) : close;
  const next = keep.filter((r) => samplesOf(r.id) < maxSamples).map((r) => r.id);
  return next.length === 0 ? { stop: true, reason: 'tie' } : { stop: false, next };
}
