// The CLI's exit codes, in one place (README.md, "Exit codes", documents them), and the errors that carry them.
import { HeadroomError } from '../common/errors';

export const EXIT = {
  ok: 0,
  /** Failed while running: llama-server could not start or gave up, a reply or a download failed, a bad model file. */
  failed: 1,
  /** The command line asks for something that cannot be done: unknown command or option, a missing argument, `pull` of a bare repo. */
  usage: 2,
  /** `plan`: the model does not fit this machine. */
  doesNotFit: 3,
  /** Cut short by Ctrl+C (128 + SIGINT). `serve` and `chat` run until Ctrl+C and exit 0 then. */
  interrupted: 130,
  /** Cut short by SIGTERM (128 + SIGTERM); `serve` and `chat` exit 0. */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The command line itself is wrong: exit code 2. */
export class UsageError extends HeadroomError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'UsageError';
  }
}

/** Ctrl+C or SIGTERM cut the command short: exit code 130 or 143. `detail` says what was left how. */
export class InterruptedError extends HeadroomError {
  constructor(
    readonly signal: InterruptSignal,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(`${signal === 'SIGINT' ? 'interrupted (Ctrl+C)' : 'terminated (SIGTERM)'}${detail ? `: ${detail}` : '.'}`, undefined, options);
    this.name = 'InterruptedError';
  }
}

export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof InterruptedError) return err.signal === 'SIGINT' ? EXIT.interrupted : EXIT.terminated;
  return EXIT.failed;
}
