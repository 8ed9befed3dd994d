import type { ReadyServer } from '../../llama/supervisor';
import type { CliOptions } from '../options';
import { untilInterrupted, withRunningModel } from '../runModel';
import { say } from '../say';

/** One JSON line on stdout: what a client needs to reach the server. */
function announce(server: ReadyServer): void {
  process.stdout.write(`${JSON.stringify({ baseUrl: server.baseUrl, apiKey: server.apiKey, pid: server.pid })}\n`);
}

/**
 * `headroom serve [--model PATH] [--port N]`: run the model until Ctrl+C; its URL, key and pid as JSON on stdout.
 * A restart keeps the URL and key; if the port was taken meanwhile, the new URL is printed as another such line.
 */
export function runServe(options: CliOptions): Promise<number> {
  return withRunningModel(options, async (first, runner) => {
    announce(first);
    let announced = first.baseUrl;
    const moved = runner.supervisor.onDidChangeState((state) => {
      const server = runner.supervisor.server;
      if (state.kind !== 'ready' || !server) return;
      say(`llama-server restarted: ready at ${server.baseUrl} (pid ${server.pid}).`);
      if (server.baseUrl === announced) return;
      announced = server.baseUrl;
      announce(server);
    });
    try {
      say('Serving until Ctrl+C.');
      await untilInterrupted();
      return 0;
    } finally {
      moved.dispose();
    }
  });
}
