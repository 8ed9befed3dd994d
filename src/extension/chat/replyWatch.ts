// What a streaming reply needs from whoever watches the server (the supervisor's stall watch), and the error
// a reply ends with when it was cut off from outside: the server stalled, or went silent in mid-reply.
import { HeadroomError } from '../common/errors';
import type { Event } from '../common/emitter';

export interface ReplyWatch {
  /** Silence after which the server counts as stalled; 0 when nobody watches. */
  readonly stallTimeoutMs: number;
  /** A sign of life: a chunk of a reply arrived. */
  activity(): void;
  /** Fires, with the sentence for the user, when the server is declared stalled (and is being restarted). */
  readonly onStall: Event<string>;
}

/** "60 s", "0.3 s": a timeout as the messages below say it. */
export function secondsText(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** The reply was cut off by the server going silent, not by the request: it ends 'interrupted', its text kept. */
export class ReplyInterruptedError extends HeadroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
    this.name = 'ReplyInterruptedError';
  }
}
