import type { Disposable } from '../common/emitter';
import type { InterruptSignal } from './exitCodes';

export interface InterruptWatch extends Disposable {
  /** Resolves with the first Ctrl+C (SIGINT) or SIGTERM; never rejects. */
  readonly received: Promise<InterruptSignal>;
}

/**
 * Until disposed, the first Ctrl+C or SIGTERM no longer kills the process: it resolves `received` and the
 * command winds down (stops llama-server, keeps a partial download). A second one kills as usual.
 */
export function watchInterrupts(): InterruptWatch {
  let stopListening = (): void => undefined;
  const received = new Promise<InterruptSignal>((resolve) => {
    const onInt = (): void => {
      stopListening();
      resolve('SIGINT');
    };
    const onTerm = (): void => {
      stopListening();
      resolve('SIGTERM');
    };
    stopListening = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
  });
  return { received, dispose: () => stopListening() };
}
