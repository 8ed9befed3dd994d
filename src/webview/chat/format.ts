import type { EntryStatus, ReplyStats, ServerView } from '../protocol/chat';

/** "42 tokens · 18.3 tok/s · first token 120 ms" */
export function formatStats(stats: ReplyStats): string {
  const tokens = `${stats.tokens} ${stats.tokens === 1 ? 'token' : 'tokens'}`;
  return [tokens, `${stats.tokensPerSecond.toFixed(1)} tok/s`, `first token ${formatDuration(stats.timeToFirstTokenMs)}`].join(' · ');
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The marker under a reply that did not complete; empty for one that did or is still streaming. */
export function statusMarker(status: EntryStatus, error?: string): string {
  if (status === 'stopped') return 'Stopped';
  if (status === 'error') return `Error: ${error ?? 'the reply failed'}`;
  if (status === 'interrupted') return `Incomplete: ${error ?? 'the window closed while this reply was streaming'}`;
  return '';
}

export function canStartServer(kind: ServerView['kind']): boolean {
  return kind === 'stopped' || kind === 'failed' || kind === 'crashed';
}

/** "1,234 tokens" */
export function formatTokens(tokens: number): string {
  return `${tokens.toLocaleString('en-US')} ${tokens === 1 ? 'token' : 'tokens'}`;
}

/** The context meter's line: "1,234 / 8,192 tokens" (or why there is no number); "~1,234 ... (estimate)" when the server cannot count. */
export function formatMeter(used: number | null, limit: number | null, estimated = false): string {
  if (limit === null) return 'Context: start the model to count tokens';
  if (used === null) return `Context: ? / ${limit.toLocaleString('en-US')} tokens`;
  if (estimated) return `Context: ~${used.toLocaleString('en-US')} / ${limit.toLocaleString('en-US')} tokens (estimate: the server cannot count them)`;
  return `Context: ${used.toLocaleString('en-US')} / ${limit.toLocaleString('en-US')} tokens`;
}

/** What a screen reader says for the meter: "1,234 of 8,192 tokens (15%)". */
export function meterValueText(used: number | null, limit: number | null): string {
  if (limit === null) return 'unknown until the model runs';
  if (used === null) return `not counted yet, of ${formatTokens(limit)}`;
  return `${used.toLocaleString('en-US')} of ${formatTokens(limit)} (${Math.round((used / limit) * 100)}%)`;
}
