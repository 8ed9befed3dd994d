import type { Endpoint, EndpointInfo, EndpointModel } from './endpoint';
import { EndpointBadAnswerError, EndpointError } from './endpointErrors';
import { requestJson } from './endpointHttp';
import { parseLlamaProps, parseLmStudioModels, parseModelList, parseOllamaShow, parseOllamaTags, type ListedModel } from './serverShapes';

export const DESCRIBE_TIMEOUT_MS = 5_000;
/** /api/show is one request per model: a server with hundreds of tags is described by its first few. */
const MAX_OLLAMA_SHOWS = 16;

export interface DescribeOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The answer, or undefined when the server has no such endpoint or fails it: a probe for a kind of server. */
async function probe(endpoint: Endpoint, path: string, options: Required<Pick<DescribeOptions, 'timeoutMs'>> & DescribeOptions, body?: unknown): Promise<unknown> {
  try {
    return await requestJson(endpoint, path, { timeoutMs: options.timeoutMs, signal: options.signal, body });
  } catch (err) {
    if (err instanceof EndpointError) return undefined;
    throw err;
  }
}

/**
 * What the server says about itself: its kind and models. /v1/models first (every kind has it; its
 * failure is the endpoint's failure), then the kind's own API: llama-server's /props, Ollama's
 * /api/tags and /api/show, LM Studio's /api/v0/models. Throws a typed EndpointError.
 */
export async function describeEndpoint(endpoint: Endpoint, options: DescribeOptions = {}): Promise<EndpointInfo> {
  const opts = { ...options, timeoutMs: options.timeoutMs ?? DESCRIBE_TIMEOUT_MS };
  const listed = parseModelList(await requestJson(endpoint, '/v1/models', opts));
  if (!listed) throw new EndpointBadAnswerError(endpoint.baseUrl, '/v1/models', 'no "data" list of models');
  const baseUrl = endpoint.baseUrl;
  if (listed.some((m) => m.ownedBy === 'llamacpp')) {
    const props = parseLlamaProps(await probe(endpoint, '/props', opts));
    return { baseUrl, kind: 'llama-server', tokenizes: true, models: listed.map((m) => ({ id: m.id, ...props })) };
  }
  const ollama = await describeOllama(endpoint, listed, opts);
  if (ollama) return ollama;
  const lmstudio = parseLmStudioModels(await probe(endpoint, '/api/v0/models', opts));
  if (lmstudio) return { baseUrl, kind: 'lmstudio', tokenizes: false, models: lmstudio };
  return { baseUrl, kind: 'openai-compatible', tokenizes: false, models: listed.map((m) => ({ id: m.id })) };
}

async function describeOllama(endpoint: Endpoint, listed: ListedModel[], opts: DescribeOptions & { timeoutMs: number }): Promise<EndpointInfo | undefined> {
  const tags = parseOllamaTags(await probe(endpoint, '/api/tags', opts));
  if (!tags) return undefined;
  const names = tags.length ? tags.map((t) => t.name) : listed.map((m) => m.id);
  const models = await Promise.all(
    names.map(async (name, i): Promise<EndpointModel> => {
      const quant = tags.find((t) => t.name === name)?.quant;
      const shown = i < MAX_OLLAMA_SHOWS ? parseOllamaShow(await probe(endpoint, '/api/show', opts, { model: name })) : undefined;
      return { id: name, ...(quant !== undefined ? { quant } : {}), ...shown };
    }),
  );
  return { baseUrl: endpoint.baseUrl, kind: 'ollama', tokenizes: false, models };
}

/** The model a request names: the chosen one, else the first the server lists. */
export function modelFor(endpoint: Endpoint, info: EndpointInfo): EndpointModel | undefined {
  if (endpoint.model !== undefined) return info.models.find((m) => m.id === endpoint.model) ?? { id: endpoint.model };
  return info.models[0];
}
