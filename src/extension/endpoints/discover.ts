import { describeEndpoint } from './describeEndpoint';
import { KIND_LABEL, type EndpointInfo, type EndpointKind } from './endpoint';
import { HeadroomError } from '../common/errors';
import { EndpointError, EndpointRefusedError } from './endpointErrors';

/** Where a server usually listens on this machine. */
export interface Candidate {
  readonly kind: EndpointKind;
  readonly port: number;
}

/** The defaults of Ollama, LM Studio and llama-server. */
export const USUAL_PLACES: readonly Candidate[] = [
  { kind: 'ollama', port: 11434 },
  { kind: 'lmstudio', port: 1234 },
  { kind: 'llama-server', port: 8080 },
];

/**
 * HEADROOM_DISCOVER_PORTS="ollama=11434,lmstudio=1234,llama-server=8080": where to look instead of the usual
 * places (the CLI and the extension read it; tests use it to point discovery at their own servers).
 */
export function placesFromEnv(value: string | undefined): readonly Candidate[] {
  if (!value) return USUAL_PLACES;
  return value.split(',').map((pair) => {
    const [kind, port] = pair.split('=');
    const n = Number(port);
    if (!(kind && kind in KIND_LABEL) || !Number.isInteger(n) || n < 1 || n > 65535) {
      throw new HeadroomError(`HEADROOM_DISCOVER_PORTS: "${pair}" is not KIND=PORT.`, `KIND is one of ${Object.keys(KIND_LABEL).join(', ')}.`);
    }
    return { kind: kind as EndpointKind, port: n };
  });
}

/** Short: a server on loopback answers /v1/models in milliseconds; a port nobody listens on refuses at once. */
export const DISCOVERY_TIMEOUT_MS = 800;

export type Discovered =
  | { readonly status: 'absent'; readonly baseUrl: string; readonly usual: EndpointKind }
  | { readonly status: 'found'; readonly baseUrl: string; readonly usual: EndpointKind; readonly info: EndpointInfo }
  /** Something listens there but answered with an error (a key is needed, 500, wrong JSON, too slow). */
  | { readonly status: 'failed'; readonly baseUrl: string; readonly usual: EndpointKind; readonly error: EndpointError };

export interface DiscoverOptions {
  readonly places?: readonly Candidate[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * What listens at the usual places on this machine, loopback only (127.0.0.1): a port that refuses the
 * first request (/v1/models) costs that one request; a server that answers is then described.
 */
export async function discoverEndpoints(options: DiscoverOptions = {}): Promise<Discovered[]> {
  const timeoutMs = options.timeoutMs ?? DISCOVERY_TIMEOUT_MS;
  return Promise.all(
    (options.places ?? USUAL_PLACES).map(async ({ kind: usual, port }): Promise<Discovered> => {
      const baseUrl = `http://127.0.0.1:${port}`;
      try {
        return { status: 'found', baseUrl, usual, info: await describeEndpoint({ baseUrl }, { timeoutMs, signal: options.signal }) };
      } catch (err) {
        if (err instanceof EndpointRefusedError) return { status: 'absent', baseUrl, usual };
        if (err instanceof EndpointError) return { status: 'failed', baseUrl, usual, error: err };
        throw err;
      }
    }),
  );
}
