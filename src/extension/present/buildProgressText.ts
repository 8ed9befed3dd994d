import { secondsLeft } from '../common/timeLeft';
import { formatDuration } from '../models/format';

/** A build's progress line: its percentage, the time left at its pace so far (once that means something), its step. */
export function buildProgressText(percent: number, message: string, elapsedMs: number): string {
  const left = secondsLeft(percent, elapsedMs);
  return `${Math.floor(percent)}%${left === undefined ? '' : ` · about ${formatDuration(left)} left`} · ${message}`;
}
