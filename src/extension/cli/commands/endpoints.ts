import { errorMessage } from '../../common/errors';
import { describeEndpoint } from '../../endpoints/describeEndpoint';
import { discoverEndpoints, placesFromEnv, type Discovered } from '../../endpoints/discover';
import { KIND_LABEL, type EndpointInfo } from '../../endpoints/endpoint';
import { EndpointError } from '../../endpoints/endpointErrors';
import { endpointFromOptions } from '../endpointOption';
import { EXIT, type ExitCode } from '../exitCodes';
import type { CliOptions } from '../options';

function modelLines(info: EndpointInfo): string[] {
  if (info.models.length === 0) return ['    (no models listed)'];
  return info.models.map((m) => `    ${m.id}${m.contextLength !== undefined ? ` · context ${m.contextLength}` : ''}${m.quant !== undefined ? ` · ${m.quant}` : ''}`);
}

function lines(d: Discovered): string[] {
  const head = `${KIND_LABEL[d.usual]}'s usual place, ${d.baseUrl}:`;
  if (d.status === 'absent') return [`${head} nothing listening.`];
  if (d.status === 'failed') return [`${head} ${errorMessage(d.error)}`];
  return [`${head} ${KIND_LABEL[d.info.kind]}, ${d.info.models.length} model(s)${d.info.tokenizes ? ', counts tokens (/tokenize)' : ''}`, ...modelLines(d.info)];
}

function json(d: Discovered): object {
  if (d.status === 'absent') return { baseUrl: d.baseUrl, usual: d.usual, status: d.status };
  if (d.status === 'failed') return { baseUrl: d.baseUrl, usual: d.usual, status: d.status, error: d.error.name, message: errorMessage(d.error) };
  return { baseUrl: d.baseUrl, usual: d.usual, status: d.status, kind: d.info.kind, tokenizes: d.info.tokenizes, models: d.info.models };
}

/**
 * `headroom endpoints [--json] [--endpoint URL [--api-key-env VAR]]`: what listens at the usual places on this
 * machine (Ollama 11434, LM Studio 1234, llama-server 8080, loopback only) and what each says about itself; with
 * --endpoint, that server too (then 1 when it fails). Results on stdout, one JSON array with --json.
 */
export async function runEndpoints(options: CliOptions): Promise<ExitCode> {
  const places = placesFromEnv(process.env.HEADROOM_DISCOVER_PORTS);
  const given = options.endpoint !== undefined ? endpointFromOptions(options.endpoint, options) : undefined;
  const found = await discoverEndpoints({ places });
  let code: ExitCode = EXIT.ok;
  if (given) {
    try {
      found.push({ status: 'found', baseUrl: given.baseUrl, usual: 'openai-compatible', info: await describeEndpoint(given) });
    } catch (err) {
      if (!(err instanceof EndpointError)) throw err;
      found.push({ status: 'failed', baseUrl: given.baseUrl, usual: 'openai-compatible', error: err });
      code = EXIT.failed;
    }
  }
  process.stdout.write(options.json ? `${JSON.stringify(found.map(json), null, 2)}\n` : `${found.flatMap(lines).join('\n')}\n`);
  return code;
}
