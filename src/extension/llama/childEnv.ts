/**
 * The environment llama-server runs with. Every llama.cpp flag also reads an LLAMA_ARG_* variable,
 * so a user's shell could otherwise turn on a public bind, RPC or tools behind our back.
 */
export function childEnv(parent: NodeJS.ProcessEnv, apiKey: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    if (name.startsWith('LLAMA_ARG_') || name === 'LLAMA_API_KEY') continue;
    env[name] = value;
  }
  // The key reaches the server here, never in argv (argv is world-readable in /proc).
  env.LLAMA_API_KEY = apiKey;
  return env;
}
