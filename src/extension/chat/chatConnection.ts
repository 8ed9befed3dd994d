import type { TokenCounter } from './tokenCounter';
import type { ChatBackend } from './types';

/**
 * What Chat, Explain and the context meter talk to: the managed llama-server or an endpoint (a server
 * Headroom does not start). Consumers take this and never ask which one it is.
 */
export interface ChatConnection {
  readonly backend: ChatBackend;
  readonly counter: TokenCounter;
  /** The context size the server runs with (or, for a server that does not say, the model's); undefined when unknown. */
  readonly contextSize: number | undefined;
}
