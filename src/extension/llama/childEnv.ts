/**
 * Variables llama.cpp reads besides its own LLAMA_ARG_* flags: the key and the Hugging Face token
 * (argument variables too), the multimodal device, and download endpoints and caches.
 */
const LLAMA_READS = new Set(['HF_TOKEN', 'HF_ENDPOINT', 'MTMD_BACKEND_DEVICE']);

/**
 * True for a variable that would change what a llama.cpp program does behind Headroom's back:
 * every flag also reads an LLAMA_ARG_* variable (a public bind, RPC, tools, a download, a log file);
 * LLAMA_SERVER_* and LLAMA_APP_CMD switch llama-server into router-child mode; AIP_* (Vertex AI
 * mode) moves its port.
 */
function isLlamaControl(name: string): boolean {
  return name.startsWith('LLAMA_') || name.startsWith('AIP_') || LLAMA_READS.has(name);
}

/**
 * The environment for every child Headroom runs for llama.cpp: its binaries (llama-server,
 * llama-fit-params, --version, --list-devices) and the build's git and cmake.
 */
export function cleanEnv(parent: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    if (!isLlamaControl(name)) env[name] = value;
  }
  return env;
}

/**
 * llama-server's environment: the cleaned one, the key of this start, and CORS limited to the
 * server's own origin without credentials (llama-server's default echoes any Origin and allows
 * credentials), so a page on another origin cannot read a response even with the key.
 */
export function serverEnv(parent: NodeJS.ProcessEnv, start: { apiKey: string; port: number }): NodeJS.ProcessEnv {
  return {
    ...cleanEnv(parent),
    // The key travels here, never in argv (argv is world-readable in /proc).
    LLAMA_API_KEY: start.apiKey,
    // Variables, not flags: a llama-server older than these flags (July 2026) ignores them and starts.
    LLAMA_ARG_CORS_ORIGINS: `http://127.0.0.1:${start.port}`,
    LLAMA_ARG_CORS_CREDENTIALS: 'false',
  };
}
