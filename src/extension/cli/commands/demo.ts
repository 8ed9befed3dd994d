import { Conversation } from '../../chat/conversation';
import { EXIT, InterruptedError, type ExitCode, type InterruptSignal } from '../exitCodes';
import type { CliOptions } from '../options';
import { withRunningModel } from '../runModel';
import { say } from '../say';
import { streamReply } from '../streamReply';

const DEMO_SAMPLING_SEED = 42;

/** `headroom demo [--model PATH] [--prompt TEXT]`: start a model, stream one reply, stop. Ctrl+C stops the reply and exits 130. */
export function runDemo(options: CliOptions): Promise<ExitCode> {
  return withRunningModel(options, async ({ server, interrupted }) => {
    say(`> ${options.prompt}`);
    // Sampled with a fixed seed: the same reply every run, without the loop greedy decoding falls into on random weights.
    const conversation = new Conversation({ temperature: 0.8 });
    let cutShort: InterruptSignal | undefined;
    void interrupted.then((signal) => {
      cutShort = signal;
      conversation.stop();
    });
    try {
      await streamReply(server, conversation, options.prompt, options.maxTokens, DEMO_SAMPLING_SEED);
      if (cutShort) throw new InterruptedError(cutShort);
      return EXIT.ok;
    } finally {
      conversation.dispose();
    }
  });
}
