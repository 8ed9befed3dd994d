import { HeadroomError } from '../common/errors';

export interface ServerArgsInput {
  modelPath: string;
  port: number;
  /** 0 lets llama.cpp choose (the model's trained context, fitted to memory). */
  contextSize: number;
  /** Arguments chosen by the memory planner (-ngl, cache types, threads...). */
  planArgs?: readonly string[];
  /** The user's own extra arguments, already checked with checkExtraArgs. */
  extraArgs?: readonly string[];
}

/**
 * Flags the user may not pass through headroom.extraServerArgs: Headroom owns the bind address,
 * the port, the key and the model, and the server must never run agent tools or reach the network.
 */
const FORBIDDEN_FLAGS: ReadonlyMap<string, string> = new Map([
  ['--host', 'llama-server always listens on 127.0.0.1 only'],
  ['--port', 'set headroom.port instead'],
  ['--api-key', 'Headroom generates a random key for every start'],
  ['--api-key-file', 'Headroom generates a random key for every start'],
  ['-m', 'set headroom.modelPath instead'],
  ['--model', 'set headroom.modelPath instead'],
  ['-mu', 'Headroom does not download models through llama-server'],
  ['--model-url', 'Headroom does not download models through llama-server'],
  ['-hf', 'Headroom does not download models through llama-server'],
  ['-hfr', 'Headroom does not download models through llama-server'],
  ['--hf-repo', 'Headroom does not download models through llama-server'],
  ['--rpc', 'remote backends are not supported'],
  ['--tools', 'agent tools can run shell commands'],
  ['--tools-runtime', 'agent tools can run shell commands'],
  ['-ag', 'agent tools can run shell commands'],
  ['--agent', 'agent tools can run shell commands'],
  ['--mcp-servers-config', 'MCP servers are not supported'],
  ['--mcp-servers-json', 'MCP servers are not supported'],
  ['--ui-mcp-proxy', 'the web UI proxy is not supported'],
  ['--webui-mcp-proxy', 'the web UI proxy is not supported'],
  ['--models-dir', 'router mode is not supported'],
  ['--models-preset', 'router mode is not supported'],
]);

export function checkExtraArgs(args: readonly string[]): string[] {
  for (const arg of args) {
    const flag = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
    const why = FORBIDDEN_FLAGS.get(flag);
    if (why) {
      throw new HeadroomError(`headroom.extraServerArgs may not contain ${flag}: ${why}.`, 'Remove it from your settings.');
    }
  }
  return [...args];
}

/** Splits a settings string like `--temp 0.2 --alias "my model"` into argv (quotes group, no shell). */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3] ?? ''));
  }
  return out;
}

export function buildServerArgs(input: ServerArgsInput): string[] {
  const args = [
    '--model', input.modelPath,
    '--host', '127.0.0.1',
    '--port', String(input.port),
    '--ctx-size', String(input.contextSize),
    '--no-webui',
    ...(input.planArgs ?? []),
    ...(input.extraArgs ?? []),
  ];
  return args;
}
