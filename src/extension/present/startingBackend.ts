import type { ChatBackend } from '../chat/types';
import { CancelledError, errorMessage, HeadroomError } from '../common/errors';

/**
 * A backend for a message sent while no model runs: the reply waits (shown streaming, empty) while `start`
 * starts or attaches to the model, then streams from it. A failed start ends the reply with that error;
 * the user's message stays in the conversation, ready to send again. Stop ends the wait (the start goes on).
 */
export function startingBackend(start: () => Promise<ChatBackend>): ChatBackend {
  return {
    async *stream(request, signal) {
      // The hint goes with the message: the reply's error is all the user sees of a failed start.
      const backend = await untilAborted(start(), signal).catch((err: unknown) => {
        throw err instanceof CancelledError ? err : new HeadroomError(errorMessage(err), undefined, { cause: err });
      });
      yield* backend.stream(request, signal);
    },
  };
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => reject(new CancelledError('Stopped while the model was starting.'));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
