import type { CliOptions } from '../options';
import { untilInterrupted, withRunningModel } from '../runModel';
import { say } from '../say';

/** `headroom serve [--model PATH] [--port N]`: run the model until Ctrl+C; its URL, key and pid as JSON on stdout. */
export function runServe(options: CliOptions): Promise<number> {
  return withRunningModel(options, async (server) => {
    process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, apiKey: server.apiKey, pid: server.pid })}\n`);
    say('Serving until Ctrl+C.');
    await untilInterrupted();
    return 0;
  });
}
