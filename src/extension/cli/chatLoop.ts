import { createInterface } from 'node:readline';
import { Conversation } from '../chat/conversation';
import { errorMessage } from '../common/errors';
import { EXIT, type ExitCode, type InterruptSignal } from './exitCodes';
import { say } from './say';

/**
 * The terminal chat: reads lines, `send`s each; Ctrl+C stops a reply, or at the prompt ends the chat (exit 0).
 * A failed reply is said and the chat goes on.
 */
export async function chatLoop(interrupted: Promise<InterruptSignal>, send: (conversation: Conversation, line: string) => Promise<void>): Promise<ExitCode> {
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
      if (line.trim()) await send(conversation, line).catch((err: unknown) => say(`error: ${errorMessage(err)}`));
      rl.prompt();
    }
    return EXIT.ok;
  } finally {
    rl.close();
    conversation.dispose();
  }
}
