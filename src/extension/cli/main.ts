#!/usr/bin/env node
/** `headroom demo | chat | serve | plan | build | models | pull | worker | endpoints | tune`: the CLI over the same core the extension uses. */
import { errorMessage } from '../common/errors';
import { runBuild } from './commands/build';
import { runChat } from './commands/chat';
import { runDemo } from './commands/demo';
import { runEndpoints } from './commands/endpoints';
import { runModels } from './commands/models';
import { runPlan } from './commands/plan';
import { runPull } from './commands/pull';
import { runServe } from './commands/serve';
import { runWorker } from './commands/worker';
import { runTune } from './commands/tune';
import { EXIT, exitCodeOf, type ExitCode } from './exitCodes';
import { parseCli, type CliOptions } from './options';
import { say } from './say';
import { USAGE } from './usage';

const COMMANDS = new Map<string, (options: CliOptions) => Promise<ExitCode>>([
  ['demo', runDemo],
  ['chat', runChat],
  ['serve', runServe],
  ['plan', runPlan],
  ['build', runBuild],
  ['models', runModels],
  ['pull', runPull],
  ['worker', runWorker],
  ['endpoints', runEndpoints],
  ['tune', runTune],
]);

/** The one line that says why a command failed; with HEADROOM_VERBOSE, the stack and its causes follow it. */
export function sayFailure(prefix: string, err: unknown, env: NodeJS.ProcessEnv = process.env): void {
  say(`${prefix}: ${errorMessage(err).replace(/\s*\n\s*/g, ' ').trim()}`);
  if (!env.HEADROOM_VERBOSE) return;
  for (let e: unknown = err; e instanceof Error; e = e.cause) say(e.stack ?? String(e));
}

/** The exit code, see exitCodes.ts. */
export async function main(argv: string[]): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    sayFailure('headroom', err);
    say(`\n${USAGE}`);
    return EXIT.usage;
  }
  const { command, options } = parsed;
  const run = COMMANDS.get(command);
  if (!run) {
    if (command !== 'help') say(`headroom: unknown command "${command}".\n`);
    say(USAGE);
    return command === 'help' ? EXIT.ok : EXIT.usage;
  }
  try {
    return await run(options);
  } catch (err) {
    sayFailure(`headroom ${command}`, err);
    return exitCodeOf(err);
  }
}

if (require.main === module) {
  let settled = false;
  const crash = (err: unknown): void => {
    sayFailure('headroom', err);
    process.exit(EXIT.failed);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  // Nothing left to wait for while the command is still unfinished: a bug, but never a silent exit 0.
  process.on('beforeExit', () => {
    if (!settled) crash(new Error('stopped with nothing left to wait for before the command finished (an internal error).'));
  });
  void main(process.argv.slice(2)).then((code) => {
    settled = true;
    process.exit(code);
  });
}
