#!/usr/bin/env node
/** `headroom demo | chat | serve | plan | build | models | pull`: the CLI over the same core the extension uses. */
import { errorMessage } from '../common/errors';
import { runBuild } from './commands/build';
import { runChat } from './commands/chat';
import { runDemo } from './commands/demo';
import { runModels } from './commands/models';
import { runPlan } from './commands/plan';
import { runPull } from './commands/pull';
import { runServe } from './commands/serve';
import { parseCli, type CliOptions } from './options';
import { say } from './say';
import { USAGE } from './usage';

const COMMANDS = new Map<string, (options: CliOptions) => Promise<number>>([
  ['demo', runDemo],
  ['chat', runChat],
  ['serve', runServe],
  ['plan', runPlan],
  ['build', runBuild],
  ['models', runModels],
  ['pull', runPull],
]);

/** The exit code: 0 done, 1 failed, 2 bad usage (or `pull` listed a repo's models), 3 `plan` does not fit. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCli(argv);
  } catch (err) {
    say(`${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  const run = COMMANDS.get(command);
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
