import { Conversation } from '../../chat/conversation';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { say } from '../say';
import { streamReply } from '../streamReply';

const DEMO_SAMPLING_SEED = 42;

/** `headroom demo [--model PATH] [--prompt TEXT]`: start a model, stream one reply, stop. */
export function runDemo(options: CliOptions): Promise<number> {
  return withRunningModel(options, async (server) => {
    say(`> ${options.prompt}`);
    // Sampled with a fixed seed: the same reply every run, without the loop greedy decoding falls into on random weights.
    const conversation = new Conversation({ temperature: 0.8 });
    try {
      return (await streamReply(server, conversation, options.prompt, options.maxTokens, DEMO_SAMPLING_SEED)) ? 0 : 1;
    } finally {
      conversation.dispose();
    }
  });
}
