import type { EntryStatus, ReplyStats, ServerView } from '../protocol';

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
  return '';
}

export function canStartServer(kind: ServerView['kind']): boolean {
  return kind === 'stopped' || kind === 'failed' || kind === 'crashed';
}
