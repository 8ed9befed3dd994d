/** One llama-server flag that headroom.extraServerArgs may carry. */
export interface AllowedServerFlag {
  /** Every spelling llama-server accepts for it, the usual one first. */
  names: readonly string[];
  /** Does the next argument belong to it? */
  takesValue: boolean;
}

export interface AllowedFlagGroup {
  title: string;
  flags: readonly AllowedServerFlag[];
}

const v = (...names: string[]): AllowedServerFlag => ({ names, takesValue: true });
const bare = (...names: string[]): AllowedServerFlag => ({ names, takesValue: false });

/**
 * The flags that only tune inference. Everything else is refused: whatever binds, listens, serves
 * files, reads or writes paths, downloads, runs tools, or changes memory the plan measured (those
 * have headroom.* settings the planner honours). README.md lists these; a unit test keeps them equal,
 * and an integration test checks each spelling against the bundled build's --help.
 */
export const ALLOWED_FLAG_GROUPS: readonly AllowedFlagGroup[] = [
  {
    title: 'Sampling',
    flags: [
      v('--temp', '--temperature'),
      v('--top-k'),
      v('--top-p'),
      v('--min-p'),
      v('--top-nsigma', '--top-n-sigma'),
      v('--typical', '--typical-p'),
      v('--xtc-probability'),
      v('--xtc-threshold'),
      v('--repeat-penalty'),
      v('--repeat-last-n'),
      v('--presence-penalty'),
      v('--frequency-penalty'),
      v('--dry-multiplier'),
      v('--dry-base'),
      v('--dry-allowed-length'),
      v('--dry-penalty-last-n'),
      v('--dry-sequence-breaker'),
      v('--dynatemp-range'),
      v('--dynatemp-exp'),
      v('--mirostat'),
      v('--mirostat-lr'),
      v('--mirostat-ent'),
      v('--samplers'),
      v('--sampler-seq', '--sampling-seq'),
      v('-s', '--seed'),
      v('-l', '--logit-bias'),
      bare('--ignore-eos'),
      v('--grammar'),
      v('-j', '--json-schema'),
    ],
  },
  {
    title: 'Generation and chat',
    flags: [
      v('-n', '--n-predict', '--predict'),
      v('--keep'),
      v('--reasoning-format'),
      v('-rea', '--reasoning'),
      v('--reasoning-budget'),
      v('--chat-template'),
      v('--chat-template-kwargs'),
      bare('--jinja'),
      bare('--no-jinja'),
      v('-a', '--alias'),
    ],
  },
  {
    title: 'Slots, batching and prompt cache',
    flags: [
      v('-np', '--parallel'),
      bare('-cb', '--cont-batching'),
      bare('-nocb', '--no-cont-batching'),
      v('--cache-reuse'),
      bare('--cache-prompt'),
      bare('--no-cache-prompt'),
      bare('--context-shift'),
      bare('--no-context-shift'),
      v('-sps', '--slot-prompt-similarity'),
      v('-tb', '--threads-batch'),
    ],
  },
  {
    title: 'RoPE and YaRN scaling',
    flags: [
      v('--rope-scaling'),
      v('--rope-scale'),
      v('--rope-freq-base'),
      v('--rope-freq-scale'),
      v('--yarn-orig-ctx'),
      v('--yarn-ext-factor'),
      v('--yarn-attn-factor'),
      v('--yarn-beta-slow'),
      v('--yarn-beta-fast'),
    ],
  },
];

const advice = (flags: readonly string[], why: string): [string, string][] => flags.map((f) => [f, why]);

/**
 * Why some refused flags are refused, for a sharper message: Headroom or the memory plan sets them.
 * An extra copy would silently override the plan, and the recovery ladder's changes after an
 * out-of-memory crash, because llama-server takes the last of a repeated flag.
 */
export const REFUSAL_ADVICE: ReadonlyMap<string, string> = new Map([
  ...advice(['--host', '--reuse-port'], 'llama-server listens on 127.0.0.1, on its own port, only'),
  ...advice(['--api-key', '--api-key-file'], 'Headroom generates a random key for every start'),
  ...advice(['-m', '--model'], 'set headroom.modelPath instead'),
  ...advice(['--rpc'], 'RPC workers change the memory plan; set headroom.rpcWorkers instead'),
  ...advice(['--port'], 'set headroom.port instead'),
  ...advice(['-c', '--ctx-size'], 'the memory plan sets it; set headroom.contextSize instead'),
  ...advice(['-ngl', '--gpu-layers', '--n-gpu-layers'], 'the memory plan sets it; set headroom.gpuLayers instead'),
  ...advice(['-ctk', '--cache-type-k', '-ctv', '--cache-type-v'], 'the memory plan sets it; set headroom.kvCacheType instead'),
  ...advice(['-fa', '--flash-attn'], 'the memory plan sets it; set headroom.flashAttention instead'),
  ...advice(['-t', '--threads'], 'the memory plan sets it; set headroom.threads instead'),
  ...advice(['--mmap', '--no-mmap'], 'the memory plan sets it; set headroom.mmap instead'),
  ...advice(
    ['-b', '--batch-size', '-ub', '--ubatch-size', '-ts', '--tensor-split', '-ot', '--override-tensor', '-cmoe', '--cpu-moe', '-ncmoe', '--n-cpu-moe', '-fit', '--fit'],
    'the memory plan sets it from the measured memory of this machine',
  ),
]);
