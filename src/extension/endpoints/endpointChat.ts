import { ChatConnectionError, ChatHttpError, OpenAiClient } from '../chat/openaiClient';
import { EstimatedTokenCounter, ServerTokenCounter, type TokenCounter } from '../chat/tokenCounter';
import type { ChatBackend, ChatRequest, Delta } from '../chat/types';
import type { Endpoint, EndpointInfo } from './endpoint';
import { connectionFailure, statusFailure } from './endpointErrors';

/** Chat completions timed out by the client's idle watch only: a connection attempt has no timer of its own. */
const NO_CONNECT_TIMEOUT = 0;

/** The chat client for an endpoint: the same OpenAI-compatible client as for the managed server, its failures as typed EndpointErrors. */
export class EndpointBackend implements ChatBackend {
  private readonly client: OpenAiClient;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly model: string,
  ) {
    this.client = new OpenAiClient({ baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey ?? '', model });
  }

  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta> {
    try {
      yield* this.client.stream(request, signal);
    } catch (err) {
      const url = this.endpoint.baseUrl;
      if (err instanceof ChatHttpError) throw statusFailure(url, '/v1/chat/completions', err.status, err.detail, { hadKey: Boolean(this.endpoint.apiKey), model: this.model });
      if (err instanceof ChatConnectionError) throw connectionFailure(url, err.cause, NO_CONNECT_TIMEOUT);
      throw err;
    }
  }
}

/** The server's own counts where it tokenizes (llama-server), else an estimate that says so. */
export function endpointTokenCounter(endpoint: Endpoint, info: EndpointInfo): TokenCounter {
  return info.tokenizes ? new ServerTokenCounter({ baseUrl: endpoint.baseUrl, apiKey: endpoint.apiKey ?? '' }) : new EstimatedTokenCounter();
}
