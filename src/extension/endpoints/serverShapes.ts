// The documented answers of the servers Headroom talks to, read from untrusted JSON: a field that is
// missing or of the wrong type is left out (or, where nothing useful is left, the answer is refused).
import { isRecord } from '../common/isRecord';

export interface ListedModel {
  readonly id: string;
  readonly ownedBy?: string;
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** OpenAI's GET /v1/models: {data: [{id, owned_by}]}; undefined when it is not that shape. */
export function parseModelList(body: unknown): ListedModel[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  return body.data.flatMap((m): ListedModel[] => {
    if (!isRecord(m)) return [];
    const id = nonEmpty(m.id);
    const ownedBy = nonEmpty(m.owned_by);
    return id === undefined ? [] : [{ id, ...(ownedBy !== undefined ? { ownedBy } : {}) }];
  });
}

/** llama-server's GET /props: the context size of a slot (default_generation_settings.n_ctx). */
export function parseLlamaProps(body: unknown): { contextLength?: number } | undefined {
  if (!isRecord(body) || !isRecord(body.default_generation_settings)) return undefined;
  const n = positiveInt(body.default_generation_settings.n_ctx);
  return n !== undefined ? { contextLength: n } : {};
}

/** Ollama's GET /api/tags: {models: [{name, details: {quantization_level}}]}. */
export function parseOllamaTags(body: unknown): { name: string; quant?: string }[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.models)) return undefined;
  return body.models.flatMap((m) => {
    if (!isRecord(m)) return [];
    const name = nonEmpty(m.name) ?? nonEmpty(m.model);
    const quant = isRecord(m.details) ? nonEmpty(m.details.quantization_level) : undefined;
    return name === undefined ? [] : [{ name, ...(quant !== undefined ? { quant } : {}) }];
  });
}

/** Ollama's POST /api/show: the trained context length (model_info["<arch>.context_length"]) and the quant. */
export function parseOllamaShow(body: unknown): { contextLength?: number; quant?: string } | undefined {
  if (!isRecord(body)) return undefined;
  const info = isRecord(body.model_info) ? body.model_info : {};
  const arch = nonEmpty(info['general.architecture']);
  const contextLength = arch !== undefined ? positiveInt(info[`${arch}.context_length`]) : undefined;
  const quant = isRecord(body.details) ? nonEmpty(body.details.quantization_level) : undefined;
  return { ...(contextLength !== undefined ? { contextLength } : {}), ...(quant !== undefined ? { quant } : {}) };
}

/** LM Studio's GET /api/v0/models: {data: [{id, type, quantization, max_context_length}]}; embedding models left out. */
export function parseLmStudioModels(body: unknown): { id: string; contextLength?: number; quant?: string }[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.data)) return undefined;
  const models = body.data.filter(isRecord);
  // Its own field: an OpenAI-compatible list without it is not LM Studio's native API.
  if (!models.some((m) => 'max_context_length' in m)) return undefined;
  return models.flatMap((m) => {
    const id = nonEmpty(m.id);
    if (id === undefined || m.type === 'embeddings') return [];
    const contextLength = positiveInt(m.max_context_length);
    const quant = nonEmpty(m.quantization);
    return [{ id, ...(contextLength !== undefined ? { contextLength } : {}), ...(quant !== undefined ? { quant } : {}) }];
  });
}
