/**
 * Time left of a job that reports its own percentage, from its pace so far: elapsed × (100 − p) / p.
 * Undefined until it has run long enough (and far enough) for its pace to mean something.
 */
export function secondsLeft(percent: number, elapsedMs: number, minPercent = 3, minElapsedMs = 5_000): number | undefined {
  if (!(percent >= minPercent) || percent >= 100 || elapsedMs < minElapsedMs) return undefined;
  return ((elapsedMs / 1000) * (100 - percent)) / percent;
}
