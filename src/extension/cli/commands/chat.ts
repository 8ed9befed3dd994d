import { createInterface } from 'node:readline';
import { Conversation } from '../../chat/conversation';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { streamReply } from '../streamReply';

/** `headroom chat [--model PATH]`: chat in the terminal; Ctrl+C stops a reply, or at the prompt ends the chat. */
export function runChat(options: CliOptions): Promise<number> {
  return withRunningModel(options, async (_first, runner) => {
    const conversation = new Conversation();
    const rl = createInterface({ input: process.stdin, output: process.stderr, prompt: 'you> ' });
    rl.on('SIGINT', () => (conversation.busy ? conversation.stop() : rl.close()));
    try {
      rl.prompt();
      for await (const line of rl) {
        // The server as it is now: a restart may have moved it (or be under way).
        if (line.trim()) await streamReply(await runner.supervisor.whenReady(), conversation, line, options.maxTokens);
        rl.prompt();
      }
      return 0;
    } finally {
      rl.close();
      conversation.dispose();
    }
  });
}
