// The other side of the chat-path benchmark: the least a client can do to stream a chat reply from
// llama-server (node:http, one POST, SSE lines split by hand, no validation), so what Headroom's client
// adds shows as the difference.
import { request } from 'node:http';

export interface StreamTiming {
  /** Request sent to first text token, ms. */
  firstMs: number;
  /** Request sent to last text token, ms. */
  lastMs: number;
  /** Tokens generated, as llama-server's closing timings count them (text chunks may hold several, or none). */
  tokens: number;
}

export function directStream(baseUrl: string, apiKey: string, body: unknown): Promise<StreamTiming> {
  const url = new URL('/v1/chat/completions', baseUrl);
  const json = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const sent = performance.now();
    let first = 0;
    let last = 0;
    let tokens = 0;
    let pending = '';
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), authorization: `Bearer ${apiKey}` } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`llama-server answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('data: {')) continue;
          if (line.includes('"timings"')) tokens = predictedTokens(line.slice(6));
          if (!line.includes('"content":"')) continue;
          last = performance.now();
          if (first === 0) first = last;
        }
      });
      res.on('end', () => resolve({ firstMs: first - sent, lastMs: last - sent, tokens }));
    });
    req.on('error', reject);
    req.end(json);
  });
}

function predictedTokens(json: string): number {
  const parsed = JSON.parse(json) as { timings?: { predicted_n?: number } };
  return parsed.timings?.predicted_n ?? 0;
}
