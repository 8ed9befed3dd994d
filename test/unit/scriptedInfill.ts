// A scripted stand-in for llama-server's /infill over real HTTP: streams each request the next scripted
// content after a delay, and records the bodies it got and the requests whose client hung up
// before the answer (a cancelled completion).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InfillServer } from '../../src/extension/completion/infillClient';

export interface ScriptedInfillOptions {
  /** Contents to answer with, in turn (the last one repeats). */
  readonly contents: readonly string[];
  readonly delayMs?: number;
  /** HTTP status and body instead of a completion. */
  readonly fail?: { status: number; body: string };
}

export class ScriptedInfill implements InfillServer {
  readonly bodies: Record<string, unknown>[] = [];
  hungUp = 0;
  readonly apiKey = 'scripted-key';
  private server: Server | undefined;
  private answered = 0;
  baseUrl = '';

  constructor(private readonly options: ScriptedInfillOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        this.bodies.push(JSON.parse(raw) as Record<string, unknown>);
        const auth = req.headers.authorization === `Bearer ${this.apiKey}`;
        const timer = setTimeout(() => {
          res.setHeader('content-type', 'application/json');
          if (!auth) {
            res.statusCode = 401;
            res.end('{"error":{"code":401,"message":"Invalid API Key"}}');
          } else if (this.options.fail) {
            res.statusCode = this.options.fail.status;
            res.end(this.options.fail.body);
          } else {
            const { contents } = this.options;
            const content = contents[Math.min(this.answered++, contents.length - 1)] ?? '';
            // As llama-server streams: the text in pieces, then an event with the stop and the timings.
            res.setHeader('content-type', 'text/event-stream');
            const half = Math.ceil(content.length / 2);
            for (const piece of [content.slice(0, half), content.slice(half)]) res.write(`data: ${JSON.stringify({ content: piece, stop: false })}\n\n`);
            res.end(`data: ${JSON.stringify({ content: '', stop: true, stop_type: 'eos', tokens_cached: 10, timings: { cache_n: 3, prompt_n: 7, prompt_ms: 1, predicted_n: 2, predicted_ms: 1 } })}\n\n`);
          }
        }, this.options.delayMs ?? 0);
        res.on('close', () => {
          if (!res.writableFinished) {
            clearTimeout(timer);
            this.hungUp++;
          }
        });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
