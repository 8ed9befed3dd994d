// A sparse deci (Llama-Nemotron: llama with a per-layer FFN width) header built to measure the largest tensor a device takes: layer i's three FFN
// weights are all RUNGS[i] bytes (F32 [512, n_ff(i)], per-layer n_ff), so a dry run with every layer
// on the device keeps the rungs it takes and leaves the others in host memory. No larger tensor
// decides anything: the 512-token probe op's input and output are no larger than the weight.
import { GgmlType } from '../ggmlTypes';
import { type GgufKv, kv, type TensorSpec } from './ggufWriter';
import { spmVocab } from './tokenizer';

const WIDTH = 512;
/** F32 bytes per FFN column (n_embd = 512). */
const BYTES_PER_FF = WIDTH * 4;
const MiB = 1024 * 1024;

/**
 * Tensor sizes tried, ascending: powers of two and 1.5 times them from 32 MiB to 16 GiB, and the
 * largest sizes under 2 and 4 GiB (drivers report maxStorageBufferRange as 2^32 - 1).
 */
export const TENSOR_LIMIT_RUNGS: readonly number[] = (() => {
  const rungs: number[] = [];
  for (let p = 25; p <= 34; p++) rungs.push(2 ** p, 1.5 * 2 ** p);
  rungs.push(2 ** 31 - BYTES_PER_FF, 2 ** 32 - BYTES_PER_FF);
  return rungs.filter((r) => r <= 16 * 1024 * MiB).sort((a, b) => a - b);
})();

export interface ProbeSpec {
  readonly kvs: readonly GgufKv[];
  readonly tensors: readonly TensorSpec[];
}

/** The header of the probe model (no data: write it with writeGguf, which leaves a hole). */
export function tensorLimitProbeSpec(): ProbeSpec {
  const nLayer = TENSOR_LIMIT_RUNGS.length;
  const ffs = TENSOR_LIMIT_RUNGS.map((r) => r / BYTES_PER_FF);
  const vocab = spmVocab(512, { chatml: true });
  const kvs: GgufKv[] = [
    kv.str('general.architecture', 'deci'),
    kv.str('general.type', 'model'),
    kv.str('general.name', 'Headroom tensor size probe'),
    kv.u32('general.file_type', 0),
    kv.u32('deci.block_count', nLayer),
    kv.u32('deci.context_length', 4096),
    kv.u32('deci.embedding_length', WIDTH),
    kv.u32s('deci.feed_forward_length', ffs),
    kv.u32('deci.attention.head_count', 4),
    kv.u32('deci.attention.head_count_kv', 4),
    kv.f32('deci.rope.freq_base', 10000),
    kv.f32('deci.attention.layer_norm_rms_epsilon', 1e-5),
    kv.u32('deci.rope.dimension_count', WIDTH / 4),
    kv.u32('deci.vocab_size', vocab.size),
    ...vocab.kvs,
  ];
  const f32 = (name: string, dims: readonly [number, ...number[]]): TensorSpec => ({ name, type: GgmlType.F32, dims });
  const tensors: TensorSpec[] = [f32('token_embd.weight', [WIDTH, vocab.size])];
  ffs.forEach((ff, i) => {
    tensors.push(
      f32(`blk.${i}.attn_norm.weight`, [WIDTH]),
      f32(`blk.${i}.attn_q.weight`, [WIDTH, WIDTH]),
      f32(`blk.${i}.attn_k.weight`, [WIDTH, WIDTH]),
      f32(`blk.${i}.attn_v.weight`, [WIDTH, WIDTH]),
      f32(`blk.${i}.attn_output.weight`, [WIDTH, WIDTH]),
      f32(`blk.${i}.ffn_norm.weight`, [WIDTH]),
      f32(`blk.${i}.ffn_gate.weight`, [WIDTH, ff]),
      f32(`blk.${i}.ffn_up.weight`, [WIDTH, ff]),
      f32(`blk.${i}.ffn_down.weight`, [ff, WIDTH]),
    );
  });
  tensors.push(f32('output_norm.weight', [WIDTH]), f32('output.weight', [WIDTH, vocab.size]));
  return { kvs, tensors };
}
