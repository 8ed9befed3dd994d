import type { Conversation } from '../chat/conversation';
import { HeadroomError } from '../common/errors';
import { OpenAiClient } from '../chat/openaiClient';
import type { ChatBackend } from '../chat/types';
import type { ReadyServer } from '../llama/supervisor';
import { SystemHardwareProbe, memoryReadout } from '../memory/hardware';
import { say } from './say';

const CLIENT_RATE_MIN_MS = 250;

/** Sends `text`, streams the reply to stdout, then says its speed and the memory in use; rejects when the reply failed. */
export async function streamReply(server: ReadyServer, conversation: Conversation, text: string, maxTokens: number, seed?: number): Promise<void> {
  const client = new OpenAiClient({ baseUrl: server.baseUrl, apiKey: server.apiKey, watch: server.watch });
  await streamBackendReply(client, 'llama-server', conversation, text, maxTokens, seed, async () => {
    const probe = new SystemHardwareProbe();
    const [facts, rss] = await Promise.all([probe.sample(), probe.processRssMiB(server.pid)]);
    return memoryReadout(facts, rss);
  });
}

/**
 * The reply through any backend (`serverName` says whose timings they are), streamed to stdout, then one line
 * of its speed (and `extra`, e.g. the memory in use); rejects when the reply failed.
 */
export async function streamBackendReply(
  client: ChatBackend,
  serverName: string,
  conversation: Conversation,
  text: string,
  maxTokens: number,
  seed?: number,
  extra?: () => Promise<string>,
): Promise<void> {
  const backend: ChatBackend = { stream: (req, signal) => client.stream({ ...req, maxTokens, seed }, signal) };
  // Measured here too, from when the deltas arrive, to check the server's own timings against.
  let deltas = 0;
  let first = 0;
  let last = 0;
  const sub = conversation.onEvent((e) => {
    if (e.type !== 'entryDelta') return;
    last = performance.now();
    if (deltas++ === 0) first = last;
    process.stdout.write(e.text);
  });
  const entry = await conversation.send(text, backend);
  sub.dispose();
  process.stdout.write('\n');
  // An interrupted reply is one the server stopped answering (the stall watch restarted it): a failure too.
  if (entry.status === 'error' || entry.status === 'interrupted') throw new HeadroomError(`the reply failed: ${entry.error ?? 'unknown error'}`);
  const s = entry.stats;
  // Over a short reply, deltas that arrive bunched in one TCP read make the client's rate meaningless.
  const measured = last - first >= CLIENT_RATE_MIN_MS ? `${(((deltas - 1) * 1000) / (last - first)).toFixed(1)} tok/s (client) · ` : '';
  const tail = extra ? ` · ${await extra()}` : '';
  if (s) say(`-- ${s.tokens} tokens · ${s.tokensPerSecond.toFixed(1)} tok/s (${serverName}) · ${measured}first token ${Math.round(s.timeToFirstTokenMs)} ms${tail}${entry.status === 'stopped' ? ' · stopped' : ''}`);
}
