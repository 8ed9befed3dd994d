import { parseArgs } from 'node:util';
import { BUILD_BACKENDS, type BuildBackend } from '../llama/buildBackend';
import { isValidPort, PORT_RULE } from '../llama/ports';
import type { PlanWishes } from '../memory/planTypes';
import { parseRpcWorkers, type RpcWorker } from '../endpoints/rpcWorkers';
import type { TuneGoal } from '../runner/tuning/tuner';

export interface CliOptions {
  model?: string;
  prompt: string;
  port: number;
  maxTokens: number;
  llamaServer?: string;
  backend?: BuildBackend;
  /** --vram 12288[,8192]: plan for simulated GPUs (MiB each). */
  vram?: number[];
  json: boolean;
  /** `models --all`: list the GGUF files that are not models (projectors...) too. */
  all: boolean;
  /** `pull --dir DIR`: where to download. */
  dir?: string;
  /** `models --folder DIR`: one more folder to search. */
  folder?: string;
  /** --stall-timeout S: a server silent this long (no token, no /health answer) is restarted; 0 = never. */
  stallTimeoutSeconds: number;
  /** `tune --budget S`: the longest a tuning run takes (default 120). */
  budgetSeconds: number;
  /** `tune --goal`: what the tuning makes fast (default generation). */
  goal: TuneGoal;
  wishes: PlanWishes;
  /** --rpc host:port[=MiB],...: llama.cpp RPC workers to plan and run across. */
  rpcWorkers: RpcWorker[];
  /** `worker --host H`: the address the worker binds; 127.0.0.1 when not given. */
  host?: string;
  /** `chat --endpoint URL`, `endpoints --endpoint URL`: a server that runs already (then --model is a model name). */
  endpoint?: string;
  /** `--api-key-env VAR`: the endpoint's key is read from this environment variable, never from argv. */
  apiKeyEnv?: string;
  /** `plan --completion-model PATH`: a second, smaller model for code completion, planned beside MODEL. */
  completionModel?: string;
}

export const DEFAULT_PROMPT = 'Write a haiku about memory.';

const KV_TYPES = ['f16', 'q8_0', 'q4_0'] as const;
const TUNE_GOALS: readonly TuneGoal[] = ['generation', 'prompt'];

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got "${v}".`);
  return n;
}

function port(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!isValidPort(n)) throw new Error(`--port must be ${PORT_RULE}; got "${v}".`);
  return n;
}

export function parseCli(argv: string[]): { command: string; options: CliOptions } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string', short: 'm' },
      prompt: { type: 'string', short: 'p' },
      ctx: { type: 'string', short: 'c' },
      port: { type: 'string' },
      'max-tokens': { type: 'string', short: 'n' },
      'llama-server': { type: 'string' },
      backend: { type: 'string' },
      vram: { type: 'string' },
      ngl: { type: 'string' },
      'cache-type': { type: 'string' },
      margin: { type: 'string' },
      json: { type: 'boolean' },
      all: { type: 'boolean' },
      dir: { type: 'string' },
      folder: { type: 'string' },
      'stall-timeout': { type: 'string' },
      rpc: { type: 'string' },
      host: { type: 'string' },
      endpoint: { type: 'string' },
      'api-key-env': { type: 'string' },
      'completion-model': { type: 'string' },
      budget: { type: 'string' },
      goal: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = values.help ? 'help' : (positionals[0] ?? 'help');
  if (values.backend !== undefined && !BUILD_BACKENDS.includes(values.backend as BuildBackend)) {
    throw new Error(`--backend must be one of ${BUILD_BACKENDS.join(', ')}.`);
  }
  const cacheType = values['cache-type'];
  if (cacheType !== undefined && !(KV_TYPES as readonly string[]).includes(cacheType)) {
    throw new Error(`--cache-type must be one of ${KV_TYPES.join(', ')}.`);
  }
  const vram = values.vram?.split(',').map((v) => {
    const n = int('vram', v.trim());
    if (!n) throw new Error(`--vram takes MiB per GPU, e.g. --vram 12288 or --vram 24576,8192; got "${values.vram}".`);
    return n;
  });
  if (values.goal !== undefined && !(TUNE_GOALS as readonly string[]).includes(values.goal)) throw new Error(`--goal must be one of ${TUNE_GOALS.join(', ')}.`);
  const budget = int('budget', values.budget);
  if (budget === 0) throw new Error('--budget must be at least 1 second.');
  const ctx = int('ctx', values.ctx);
  const ngl = int('ngl', values.ngl);
  const margin = int('margin', values.margin);
  const kv = cacheType as (typeof KV_TYPES)[number] | undefined;
  return {
    command,
    options: {
      model: values.model ?? positionals[1],
      prompt: values.prompt ?? DEFAULT_PROMPT,
      port: port(values.port),
      maxTokens: int('max-tokens', values['max-tokens']) ?? 64,
      llamaServer: values['llama-server'],
      backend: values.backend as BuildBackend | undefined,
      vram,
      json: values.json ?? false,
      all: values.all ?? false,
      dir: values.dir,
      folder: values.folder,
      stallTimeoutSeconds: int('stall-timeout', values['stall-timeout']) ?? 60,
      rpcWorkers: values.rpc === undefined ? [] : parseRpcWorkers(values.rpc),
      host: values.host,
      endpoint: values.endpoint,
      apiKeyEnv: values['api-key-env'],
      completionModel: values['completion-model'],
      budgetSeconds: budget ?? 120,
      goal: (values.goal as TuneGoal | undefined) ?? 'generation',
      wishes: {
        ...(ctx ? { contextSize: ctx } : {}),
        ...(ngl !== undefined ? { gpuLayers: ngl } : {}),
        ...(kv ? { cacheTypeK: kv, cacheTypeV: kv } : {}),
        ...(margin !== undefined ? { marginMiB: margin } : {}),
      },
    },
  };
}
