import { createInterface } from 'node:readline';
import { Conversation } from '../../chat/conversation';
import { errorMessage } from '../../common/errors';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { say } from '../say';
import { streamReply } from '../streamReply';

/**
 * `headroom chat [--model PATH]`: chat in the terminal; Ctrl+C stops a reply, or at the prompt ends the chat (exit 0).
 * A failed reply is said and the chat goes on; llama-server failing for good ends it with 1.
 */
export function runChat(options: CliOptions): Promise<ExitCode> {
  return withRunningModel(options, async ({ runner, interrupted }) => {
    const conversation = new Conversation();
    const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: 'you> ' });
    const end = (): void => (conversation.busy ? conversation.stop() : rl.close());
    rl.on('SIGINT', end);
    // Without a terminal, Ctrl+C reaches the process rather than readline: it ends the chat.
    void interrupted.then(() => {
      conversation.stop();
      rl.close();
    });
    try {
      rl.prompt();
      for await (const line of rl) {
        // The server as it is now: a restart may have moved it (or be under way).
        if (line.trim()) {
          await runner.supervisor
            .whenReady()
            .then((server) => streamReply(server, conversation, line, options.maxTokens))
            .catch((err: unknown) => say(`error: ${errorMessage(err)}`));
        }
        rl.prompt();
      }
      return EXIT.ok;
    } finally {
      rl.close();
      conversation.dispose();
    }
  });
}
