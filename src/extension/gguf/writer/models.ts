// Generated GGUF models for tests: tiny ones with seeded random weights that llama-server loads
// and chats with, and sparse stubs holding a real-sized model's header over a hole.
import { archKvs, FILE_TYPES, type SparseQuant, tensorPlan, typeFor } from './layout';
import { encodeTensor, FIXTURE_TYPE_IDS, type FixtureType } from './quantize';
import { Random } from './random';
import { type ModelShape, SMALL_SHAPES, type SmallPreset, SPARSE_SHAPES, type SparsePreset, TINY_SHAPES, type TinyPreset, type TokenizerKind } from './shapes';
import { bpeVocab, LLAMA3_TEMPLATE, CHATML_TEMPLATE, MISTRAL_TEMPLATE, spmVocab, type Vocab } from './tokenizer';
import { type GgufKv, type HeaderLayout, type TensorSpec, writeGguf } from './ggufWriter';

export { SPARSE_SHAPES, TINY_SHAPES } from './shapes';
export type { ModelShape, SmallPreset, SparsePreset, TinyPreset } from './shapes';
export type { SparseQuant } from './layout';
export type { FixtureType } from './quantize';

export const TINY_PRESETS = Object.keys(TINY_SHAPES) as TinyPreset[];
export const SPARSE_PRESETS = Object.keys(SPARSE_SHAPES) as SparsePreset[];
/** Weight types a tiny model can be written in. */
export const TINY_TYPES: readonly FixtureType[] = ['F16', 'Q8_0', 'Q4_0'];

export interface ModelSpec {
  readonly kvs: readonly GgufKv[];
  readonly tensors: readonly TensorSpec[];
}

export interface WrittenModel {
  readonly path: string;
  /** Logical file size (for sparse stubs, most of it is a hole). */
  readonly fileSize: number;
  readonly tensorCount: number;
  readonly layout: HeaderLayout;
}

function llama3Specials(): string[] {
  const named: Record<number, string> = {
    0: '<|begin_of_text|>', 1: '<|end_of_text|>', 4: '<|finetune_right_pad_id|>', 6: '<|start_header_id|>',
    7: '<|end_header_id|>', 8: '<|eom_id|>', 9: '<|eot_id|>', 10: '<|python_tag|>',
  };
  let reserved = 0;
  return Array.from({ length: 256 }, (_, i) => named[i] ?? `<|reserved_special_token_${reserved++}|>`);
}

function qwen2Specials(total: number): string[] {
  const named = [
    '<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|object_ref_start|>', '<|object_ref_end|>', '<|box_start|>',
    '<|box_end|>', '<|quad_start|>', '<|quad_end|>', '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>',
    '<|image_pad|>', '<|video_pad|>', '<tool_call>', '</tool_call>', '<|fim_prefix|>', '<|fim_middle|>',
    '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<tool_response>', '</tool_response>',
    '<think>', '</think>',
  ];
  const first = total - 293;
  return Array.from({ length: 293 }, (_, i) => named[i] ?? `[PAD${first + i}]`);
}

function vocabFor(kind: TokenizerKind, size: number, fim = false): Vocab {
  switch (kind) {
    case 'spm-chatml':
      return spmVocab(size, { chatml: true, template: CHATML_TEMPLATE, fim });
    case 'spm-mistral':
      return spmVocab(size, { chatml: false, template: MISTRAL_TEMPLATE });
    case 'bpe-llama3':
      return bpeVocab(size, {
        pre: 'llama-bpe', specials: llama3Specials(), bos: '<|begin_of_text|>', eos: '<|eot_id|>', addBos: true,
        template: LLAMA3_TEMPLATE,
      });
    case 'bpe-qwen2':
      return bpeVocab(size, {
        pre: 'qwen2', specials: qwen2Specials(size), bos: '<|endoftext|>', eos: '<|im_end|>', addBos: false,
        template: CHATML_TEMPLATE,
      });
  }
}

export interface TinyModelOptions {
  /** Type of the weight matrices (token_embd and output included); norms stay F32. Default Q8_0. */
  readonly type?: FixtureType;
  /** Same seed, same bytes. Default 1. */
  readonly seed?: number;
  /** Fill-in-the-middle tokens in the vocabulary and their ids in the metadata (ChatML vocabularies). */
  readonly fim?: boolean;
}

/**
 * Zeroes the output rows of the control tokens, so their logit is always 0: the median of the random
 * logits, never in llama-server's default top-k of 40 out of 512. Random weights would otherwise sample
 * </s> or <|im_end|> now and then, ending replies at random; this way a reply runs until Stop, max_tokens
 * or a full context, which is what the tests of streaming, Stop and crashes need.
 */
function silenceRows(values: Float32Array, rowLength: number, rows: readonly number[]): void {
  for (const row of rows) values.fill(0, row * rowLength, (row + 1) * rowLength);
}

/**
 * llama.cpp's infill sampler ends a fill (EOS) unless some token has a probability of at least 0.2, which
 * a real coder model usually has and random weights, spread over 512 tokens, never do. A FIM model's
 * output weights are scaled up so its next token is as confident as a trained model's.
 */
const FIM_OUTPUT_GAIN = 12;

function sharpen(values: Float32Array): void {
  for (let i = 0; i < values.length; i++) values[i] = (values[i] ?? 0) * FIM_OUTPUT_GAIN;
}

/**
 * A model written with data: the tiny presets (fast, for tests), or a small preset (~1B parameters for
 * small-llama: as slow per token as a real model of that size, for benchmarks; about a minute to write).
 */
export type DataPreset = TinyPreset | SmallPreset;

function dataShape(preset: DataPreset): ModelShape {
  return preset in TINY_SHAPES ? TINY_SHAPES[preset as TinyPreset] : SMALL_SHAPES[preset as SmallPreset];
}

/** Metadata and tensors (with data) of a tiny or small model, in memory. */
export function tinyModelSpec(preset: DataPreset, options: TinyModelOptions = {}): ModelSpec {
  const shape = dataShape(preset);
  const type = options.type ?? 'Q8_0';
  const random = new Random(options.seed ?? 1);
  const vocab = vocabFor(shape.tokenizer, shape.nVocab, options.fim);
  const tensors = tensorPlan(shape).map((t): TensorSpec => {
    const count = t.dims.reduce((a, b) => a * b, 1);
    // Norms and RoPE frequency factors are 1 (neutral); llama.cpp reads both as F32 only.
    if (t.role === 'norm' || t.role === 'rope_freqs') return { name: t.name, type: FIXTURE_TYPE_IDS.F32, dims: t.dims, data: encodeTensor('F32', new Float32Array(count).fill(1)) };
    const tensorType: FixtureType = t.role === 'router' || t.role === 'bias' ? 'F32' : type;
    const values = random.floats(count, 1 / Math.sqrt(t.dims[0]));
    if (t.role === 'output') {
      if (options.fim) sharpen(values);
      silenceRows(values, t.dims[0], vocab.control);
    }
    return { name: t.name, type: FIXTURE_TYPE_IDS[tensorType], dims: t.dims, data: encodeTensor(tensorType, values) };
  });
  const name = `${shape.name}${options.fim ? ' FIM' : ''} ${type}`;
  return { kvs: [...archKvs({ ...shape, name }, FILE_TYPES[type]), ...vocab.kvs], tensors };
}

/** Writes a tiny model: `await writeModel(path, 'tiny-dense', { type: 'Q8_0', seed: 1 })`. */
export async function writeModel(path: string, preset: DataPreset, options: TinyModelOptions = {}): Promise<WrittenModel> {
  const spec = tinyModelSpec(preset, options);
  const layout = await writeGguf(path, spec.kvs, spec.tensors);
  return { path, fileSize: layout.fileSize, tensorCount: spec.tensors.length, layout };
}

export interface SparseModelOptions {
  /** Default Q4_K_M. */
  readonly quant?: SparseQuant;
}

/** Metadata and tensor infos (no data) of a real-sized model. */
export function sparseModelSpec(shape: SparsePreset | ModelShape, options: SparseModelOptions = {}): ModelSpec {
  const s: ModelShape = typeof shape === 'string' ? SPARSE_SHAPES[shape] : shape;
  const quant = options.quant ?? 'Q4_K_M';
  const vocab = vocabFor(s.tokenizer, s.nVocab);
  const tensors = tensorPlan(s).map((t): TensorSpec => ({ name: t.name, type: typeFor(t, quant, s.nLayer), dims: t.dims }));
  return { kvs: [...archKvs({ ...s, name: `${s.name} ${quant}` }, FILE_TYPES[quant]), ...vocab.kvs], tensors };
}

/**
 * Writes a real header and sets the file's length with ftruncate, so the tensor data is a hole:
 * a 40 GB model stub uses a few MB of disk, and dry runs (llama-fit-params) plan it exactly.
 */
export async function writeSparseModel(
  path: string,
  shape: SparsePreset | ModelShape,
  options: SparseModelOptions = {},
): Promise<WrittenModel> {
  const spec = sparseModelSpec(shape, options);
  const layout = await writeGguf(path, spec.kvs, spec.tensors);
  return { path, fileSize: layout.fileSize, tensorCount: spec.tensors.length, layout };
}
