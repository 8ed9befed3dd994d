/** Errors that carry a message a user can act on, and an optional hint of what to do. */
export class HeadroomError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HeadroomError';
  }
}

/** The user, or a newer request, called the operation off: nothing failed, so nothing is reported. */
export class CancelledError extends HeadroomError {
  constructor(message: string, hint?: string) {
    super(message, hint);
    this.name = 'CancelledError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof HeadroomError && err.hint) return `${err.message} ${err.hint}`;
  return err instanceof Error ? err.message : String(err);
}
