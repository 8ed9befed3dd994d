import { rename as fsRename } from 'node:fs/promises';
import { HeadroomError } from './errors';

/** The codes Windows gives a rename while another program (Defender, the search indexer, a backup tool) has the file open. */
const HELD_CODES: ReadonlySet<string> = new Set(['EPERM', 'EBUSY', 'EACCES']);

/** The waits between tries: about 2 s in all, which outlasts a scanner's look at a freshly written file. */
export const RENAME_RETRY_DELAYS_MS: readonly number[] = [50, 100, 200, 400, 600, 700];

export interface RenameRetryOptions {
  /** Retries happen on Windows only: elsewhere these codes mean a real permission problem. */
  platform?: NodeJS.Platform;
  /** Retries whatever the platform (tests). */
  retry?: boolean;
  rename?: (from: string, to: string) => Promise<void>;
  delaysMs?: readonly number[];
}

/** A rename that kept failing because another program holds the file open. */
export class FileHeldError extends HeadroomError {
  constructor(
    readonly from: string,
    readonly to: string,
    cause: unknown,
  ) {
    super(
      `Could not move ${from} to ${to}: another program holds the file open.`,
      'An antivirus scanner or the search indexer often does, for a moment; try again, or exclude the folder from scanning.',
      { cause },
    );
    this.name = 'FileHeldError';
  }
}

function isHeld(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && HELD_CODES.has(code);
}

/**
 * fs.rename, tried again with growing waits while Windows says another program holds the file
 * (EPERM/EBUSY/EACCES), then a FileHeldError that says so. Other errors, and every error off Windows, pass through.
 */
export async function renameWithRetry(from: string, to: string, options: RenameRetryOptions = {}): Promise<void> {
  const rename = options.rename ?? fsRename;
  const retries = options.retry ?? (options.platform ?? process.platform) === 'win32';
  const delays = options.delaysMs ?? RENAME_RETRY_DELAYS_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await rename(from, to);
      return;
    } catch (err) {
      if (!retries || !isHeld(err)) throw err;
      const delay = delays[attempt];
      if (delay === undefined) throw new FileHeldError(from, to, err);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
