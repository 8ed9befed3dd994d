import { normalizeBaseUrl, type Endpoint } from '../endpoints/endpoint';
import { UsageError } from './exitCodes';
import type { CliOptions } from './options';

/** --endpoint URL [--api-key-env VAR] [--model NAME] as an Endpoint; the key comes from the environment, never argv. */
export function endpointFromOptions(url: string, options: CliOptions, env: NodeJS.ProcessEnv = process.env): Endpoint {
  let baseUrl: string;
  try {
    baseUrl = normalizeBaseUrl(url);
  } catch (err) {
    throw new UsageError(`--endpoint: ${err instanceof Error ? err.message : String(err)}`, 'e.g. --endpoint http://127.0.0.1:11434');
  }
  let apiKey: string | undefined;
  if (options.apiKeyEnv !== undefined) {
    apiKey = env[options.apiKeyEnv];
    if (!apiKey) throw new UsageError(`--api-key-env names ${options.apiKeyEnv}, which is not set.`, `Set it first: export ${options.apiKeyEnv}=...`);
  }
  return { baseUrl, ...(apiKey ? { apiKey } : {}), ...(options.model !== undefined ? { model: options.model } : {}) };
}
