/** The two llama-server endpoints the supervisor reads while starting: /health and /props. */

/** GET /health: 200 ready, 503 loading, 0 when nothing answers (within `timeoutMs`). /health needs no key. */
export async function healthStatus(baseUrl: string, timeoutMs = 2_000): Promise<number> {
  try {
    return (await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(timeoutMs) })).status;
  } catch {
    return 0;
  }
}

/** The context size the server really uses (it may differ from the one asked for), from GET /props. */
export async function servedContextSize(baseUrl: string, apiKey: string, fallback: number): Promise<number> {
  try {
    const res = await fetch(`${baseUrl}/props`, { headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(2_000) });
    const body: unknown = await res.json();
    if (typeof body === 'object' && body !== null && 'default_generation_settings' in body) {
      const settings = body.default_generation_settings;
      if (typeof settings === 'object' && settings !== null && 'n_ctx' in settings) {
        const n = settings.n_ctx;
        if (typeof n === 'number') return n;
      }
    }
  } catch {
    // older servers without /props: keep what was asked for
  }
  return fallback;
}
