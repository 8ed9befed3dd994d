import { HeadroomError } from '../common/errors';

/** A server Headroom does not start: an OpenAI-compatible base URL, an optional key, the model to ask for. */
export interface Endpoint {
  /** Without a trailing slash or /v1, e.g. http://127.0.0.1:11434. */
  readonly baseUrl: string;
  readonly apiKey?: string;
  /** The model name sent with each request; the first one the server lists when unset. */
  readonly model?: string;
}

export type EndpointKind = 'ollama' | 'lmstudio' | 'llama-server' | 'openai-compatible';

export const KIND_LABEL: Readonly<Record<EndpointKind, string>> = {
  ollama: 'Ollama',
  lmstudio: 'LM Studio',
  'llama-server': 'llama-server',
  'openai-compatible': 'OpenAI-compatible server',
};

/** One model as the server describes it; what it does not say stays undefined. */
export interface EndpointModel {
  readonly id: string;
  readonly contextLength?: number;
  readonly quant?: string;
}

/** What a server says about itself. */
export interface EndpointInfo {
  readonly baseUrl: string;
  readonly kind: EndpointKind;
  readonly models: readonly EndpointModel[];
  /** The server's /tokenize counts with the served model's own tokenizer (llama-server). */
  readonly tokenizes: boolean;
}

/**
 * The base URL as the rest of Headroom joins paths to it: a trailing slash and a trailing /v1 are dropped,
 * since users paste both forms. Throws on anything that is not an http(s) URL.
 */
export function normalizeBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (err) {
    throw new InvalidEndpointUrlError(input, { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidEndpointUrlError(input);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Not an http(s) URL. */
export class InvalidEndpointUrlError extends HeadroomError {
  constructor(input: string, options?: { cause?: unknown }) {
    super(`"${input}" is not a server URL.`, 'Give the base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:11434 or https://host/v1.', options);
    this.name = 'InvalidEndpointUrlError';
  }
}
