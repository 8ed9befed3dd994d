// Generated vocabularies that llama.cpp loads: a SentencePiece-style ("llama") one for the tiny
// models, and byte-level BPE ("gpt2") ones of real size for the sparse header stubs.
import { type GgufKv, kv } from './ggufWriter';
import { fimKey, type FimRole } from '../fimTokens';

/** The fill-in-the-middle specials a FIM model gets, Qwen2.5-Coder's spelling. */
export const FIM_SPECIALS: readonly (readonly [FimRole, string])[] = [
  ['pre', '<|fim_prefix|>'], ['suf', '<|fim_suffix|>'], ['mid', '<|fim_middle|>'],
  ['pad', '<|fim_pad|>'], ['rep', '<|repo_name|>'], ['sep', '<|file_sep|>'],
];

/** llama_token_type values (llama.h). */
export const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const LLAMA3_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

export const MISTRAL_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
  "{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

export interface Vocab {
  readonly kvs: readonly GgufKv[];
  readonly size: number;
  readonly bos: number;
  readonly eos: number;
  /** Ids of the control and unknown tokens (<s>, </s>, <|im_end|>...): what ends or frames a turn. */
  readonly control: readonly number[];
}

function controlIds(types: readonly number[]): number[] {
  return types.flatMap((t, id) => (t === TokenType.CONTROL || t === TokenType.UNKNOWN ? [id] : []));
}

/** Strings over `alphabet` in order of length, then lexicographically: every prefix comes first. */
function* words(alphabet: string, minLength: number): Generator<string> {
  for (let length = minLength; ; length++) {
    const idx = new Array<number>(length).fill(0);
    for (;;) {
      yield idx.map((i) => alphabet[i]).join('');
      let k = length - 1;
      while (k >= 0 && ++idx[k]! === alphabet.length) idx[k--] = 0; // 0 <= k < length
      if (k < 0) break;
    }
  }
}

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const LETTERS = LOWER + LOWER.toUpperCase();

/** A byte that random weights may not emit: it could start invalid UTF-8 or be a control character. */
function unsafeByte(b: number): boolean {
  return b >= 0x80 || b === 0x7f || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
}

/**
 * SentencePiece vocabulary: <unk> <s> </s>, 256 byte tokens, ChatML specials, FIM specials (with `fim`,
 * declared in tokenizer.ggml.fim_*_token_id, so llama-server's /infill accepts the model), then pieces.
 * Byte tokens that could produce invalid UTF-8 (0x80-0xFF) or control characters are typed UNUSED:
 * llama.cpp still finds them for byte fallback but prints nothing for them, so a random model's
 * reply is always valid UTF-8 (the server's chat parser rejects anything else).
 */
export function spmVocab(size: number, options: { chatml?: boolean; template?: string; fim?: boolean } = {}): Vocab {
  const chatml = options.chatml ?? true;
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TokenType.UNKNOWN, TokenType.CONTROL, TokenType.CONTROL];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(unsafeByte(b) ? TokenType.UNUSED : TokenType.BYTE);
    scores.push(0);
  }
  let eos = 2;
  if (chatml) {
    tokens.push('<|im_start|>', '<|im_end|>');
    types.push(TokenType.CONTROL, TokenType.CONTROL);
    scores.push(0, 0);
    eos = tokens.length - 1;
  }
  const fimKvs: GgufKv[] = [];
  if (options.fim) {
    for (const [role, text] of FIM_SPECIALS) {
      fimKvs.push(kv.u32(fimKey(role), tokens.length));
      tokens.push(text);
      types.push(TokenType.CONTROL);
      scores.push(0);
    }
  }
  const pieces: string[] = ['▁'];
  for (let c = 0x21; c < 0x7f; c++) pieces.push(String.fromCharCode(c));
  const lower = words(LOWER, 2);
  const spaced = words(LOWER, 1);
  while (tokens.length + pieces.length < size) {
    pieces.push(pieces.length % 2 === 0 ? (lower.next().value as string) : `▁${spaced.next().value as string}`);
  }
  pieces.slice(0, size - tokens.length).forEach((piece, i) => {
    tokens.push(piece);
    types.push(TokenType.NORMAL);
    scores.push(-i);
  });
  return {
    size: tokens.length,
    bos: 1,
    eos,
    control: controlIds(types),
    kvs: [
      kv.str('tokenizer.ggml.model', 'llama'),
      kv.strs('tokenizer.ggml.tokens', tokens),
      kv.f32s('tokenizer.ggml.scores', scores),
      kv.i32s('tokenizer.ggml.token_type', types),
      kv.u32('tokenizer.ggml.bos_token_id', 1),
      kv.u32('tokenizer.ggml.eos_token_id', eos),
      kv.u32('tokenizer.ggml.unknown_token_id', 0),
      kv.bool('tokenizer.ggml.add_bos_token', !chatml),
      kv.bool('tokenizer.ggml.add_eos_token', false),
      kv.str('tokenizer.chat_template', options.template ?? (chatml ? CHATML_TEMPLATE : MISTRAL_TEMPLATE)),
      ...fimKvs,
    ],
  };
}

/** GPT-2's byte -> printable character table, in its order. */
function byteLevelChars(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const chars = printable.map((b) => String.fromCharCode(b));
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!printable.includes(b)) chars.push(String.fromCharCode(256 + n++));
  }
  return chars;
}

export interface BpeOptions {
  /** tokenizer.ggml.pre, e.g. "llama-bpe", "qwen2". */
  readonly pre: string;
  /** Special tokens appended after the regular ones, in order. */
  readonly specials: readonly string[];
  readonly bos: string;
  readonly eos: string;
  readonly addBos: boolean;
  readonly template: string;
}

/**
 * Byte-level BPE vocabulary of `size` tokens: the 256 byte characters, generated letter strings
 * (each merge is "prefix lastLetter", so every merge's parts exist), then the specials.
 */
export function bpeVocab(size: number, options: BpeOptions): Vocab {
  const tokens = byteLevelChars();
  const merges: string[] = [];
  const regular = size - options.specials.length;
  const gen = words(LETTERS, 2);
  while (tokens.length < regular) {
    const word = gen.next().value as string;
    tokens.push(word);
    merges.push(`${word.slice(0, -1)} ${word.slice(-1)}`);
  }
  const types: number[] = tokens.map(() => TokenType.NORMAL);
  for (const special of options.specials) {
    tokens.push(special);
    types.push(TokenType.CONTROL);
  }
  const bos = tokens.indexOf(options.bos);
  const eos = tokens.indexOf(options.eos);
  return {
    size: tokens.length,
    bos,
    eos,
    control: controlIds(types),
    kvs: [
      kv.str('tokenizer.ggml.model', 'gpt2'),
      kv.str('tokenizer.ggml.pre', options.pre),
      kv.strs('tokenizer.ggml.tokens', tokens),
      kv.i32s('tokenizer.ggml.token_type', types),
      kv.strs('tokenizer.ggml.merges', merges),
      kv.u32('tokenizer.ggml.bos_token_id', bos),
      kv.u32('tokenizer.ggml.eos_token_id', eos),
      kv.bool('tokenizer.ggml.add_bos_token', options.addBos),
      kv.str('tokenizer.chat_template', options.template),
    ],
  };
}
