import type { ExitCode } from '../exitCodes';
import { chatLoop } from '../chatLoop';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { streamReply } from '../streamReply';
import { runEndpointChat } from './endpointChat';

/**
 * `headroom chat [--model PATH]`: chat in the terminal with a model Headroom runs; llama-server failing for good
 * ends it with 1. With --endpoint URL: chat with a server that runs already (see endpointChat.ts).
 */
export function runChat(options: CliOptions): Promise<ExitCode> {
  if (options.endpoint !== undefined) return runEndpointChat(options);
  return withRunningModel(options, ({ runner, interrupted }) =>
    // The server as it is now: a restart may have moved it (or be under way).
    chatLoop(interrupted, (conversation, line) => runner.supervisor.whenReady().then((server) => streamReply(server, conversation, line, options.maxTokens))),
  );
}
