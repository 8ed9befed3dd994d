import type { ReadyServer } from '../../llama/supervisor';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { say } from '../say';

const printServer = (server: ReadyServer): void =>
  void process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, apiKey: server.apiKey, pid: server.pid })}\n`);

/**
 * `headroom serve [--model PATH] [--port N] [--completion-model PATH]`: run the model until Ctrl+C; its URL, key and pid as one JSON line on
 * stdout, and a new line each time llama-server is restarted after a crash (a new pid; the same URL and key, unless
 * another program took the port meanwhile). When llama-server fails for good (crashes 5 times in 3 minutes, or dies
 * while restarting) serve ends with 1. With --completion-model, that model is started first (one slot, 4096 tokens,
 * any free port), the chat plan keeps its memory free, and its URL, key and pid follow as `{"completion": {...}}`.
 */
export function runServe(options: CliOptions): Promise<ExitCode> {
  return withRunningModel(options, async ({ server, completion, interrupted, onRestarted }) => {
    printServer(server);
    if (completion) process.stdout.write(`${JSON.stringify({ completion: { baseUrl: completion.baseUrl, apiKey: completion.apiKey, pid: completion.pid } })}\n`);
    const restarts = onRestarted(printServer);
    say('Serving until Ctrl+C.');
    try {
      await interrupted;
      return EXIT.ok;
    } finally {
      restarts.dispose();
    }
  }, true);
}
