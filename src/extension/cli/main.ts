#!/usr/bin/env node
/** `headroom demo | chat | serve | plan | build | models | pull`: the CLI over the same core the extension uses. */
import { errorMessage } from '../common/errors';
import { parseCli, type CliOptions } from './options';
import { build, chat, demo, planCommand, serve } from './commands/server';
import { modelsCommand, pullCommand } from './commands/models';

const say = (line: string): void => void process.stderr.write(`${line}\n`);

const USAGE = `Usage: headroom <command> [options]

Commands:
  demo   [--model PATH] [--prompt TEXT]   start a model, stream one reply, stop (a generated demo model when no --model)
  chat   [--model PATH]                   chat in the terminal
  serve  [--model PATH] [--port N]        run the model until Ctrl+C and print its URL and key
  plan   MODEL [--ctx N] [--vram MiB[,MiB...]] [--json]  the memory plan: exact (llama.cpp dry run) or, with --vram, an estimate for simulated GPUs
  build  [--backend cpu|cuda|vulkan|metal] locate llama-server, or build it from the bundled llama.cpp source
  models [--all] [--json] [--folder DIR]  list GGUF models on this machine (HF cache, LM Studio, llama.cpp, Ollama, folders)
  pull   hf:owner/repo[:QUANT|/FILE] | URL [--dir DIR]  download a model (resumable, checked); a bare repo lists its quants

Common options: --ctx N (context size; default: up to 8192, fitted to memory), --ngl N, --cache-type f16|q8_0|q4_0,
  --margin MiB (kept free per GPU), --llama-server PATH, --max-tokens N`;

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    say(`${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  const commands: Record<string, (o: CliOptions) => Promise<number>> = {
    demo, chat, serve, build, plan: planCommand,
    models: () => modelsCommand(argv),
    pull: () => pullCommand(argv),
  };
  const run = commands[command];
  if (!run) {
    say(USAGE);
    return command === 'help' ? 0 : 2;
  }
  try {
    return await run(options);
  } catch (err) {
    say(`headroom ${command}: ${errorMessage(err)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
