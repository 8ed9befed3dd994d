// Fill-in-the-middle tokens, found the two ways llama.cpp finds them (llama-vocab.cpp): the
// tokenizer.ggml.fim_*_token_id keys (or the older prefix/suffix/middle ones), else a token whose text is
// one of the known FIM spellings. Most converted coder models (Qwen2.5-Coder, CodeLlama) carry only the text.
import type { GgufValue } from './metadata';

export const FIM_ROLES = ['pre', 'suf', 'mid', 'pad', 'rep', 'sep'] as const;
export type FimRole = (typeof FIM_ROLES)[number];

/** pre, suf and mid are what llama-server's /infill requires; the others refine the prompt. */
export const REQUIRED_FIM_ROLES: readonly FimRole[] = ['pre', 'suf', 'mid'];

const LEGACY_KEYS: Partial<Record<FimRole, string>> = {
  pre: 'tokenizer.ggml.prefix_token_id',
  suf: 'tokenizer.ggml.suffix_token_id',
  mid: 'tokenizer.ggml.middle_token_id',
};

export function fimKey(role: FimRole): string {
  return `tokenizer.ggml.fim_${role}_token_id`;
}

/** The token texts llama.cpp recognizes for each role, in its order. */
export const FIM_TOKEN_TEXTS: Readonly<Record<FimRole, readonly string[]>> = {
  pre: ['<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>'],
  suf: ['<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>'],
  mid: ['<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>'],
  pad: ['<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]'],
  rep: ['<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>'],
  sep: ['<|file_sep|>'],
};

/** Token texts as the reader sees them (one char per byte), to the role they name. */
const BY_LATIN1 = new Map<string, FimRole>(
  FIM_ROLES.flatMap((role) => FIM_TOKEN_TEXTS[role].map((text): [string, FimRole] => [Buffer.from(text, 'utf8').toString('latin1'), role])),
);

/** Fed every token of the vocabulary while the header is read; keeps the first id of each FIM text it sees. */
export class FimTokenScan {
  readonly found = new Map<FimRole, number>();

  add(latin1: string, index: number): void {
    const role = BY_LATIN1.get(latin1);
    if (role !== undefined && !this.found.has(role)) this.found.set(role, index);
  }
}

export type FimTokens = Partial<Record<FimRole, number>>;

export interface FimSupport {
  /** The ids found, by role. */
  readonly tokens: FimTokens;
  /** pre, suf and mid are all there: /infill works. */
  readonly complete: boolean;
  /** The required roles that are missing. */
  readonly missing: readonly FimRole[];
  /** Where the ids came from. */
  readonly source: 'metadata' | 'token text' | 'none';
}

function tokenId(value: GgufValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** What a header says about FIM: `byText` is the scan of its vocabulary (GgufHeader.fimTokensByText). */
export function fimSupport(metadata: ReadonlyMap<string, GgufValue>, byText: ReadonlyMap<FimRole, number>): FimSupport {
  const tokens: FimTokens = {};
  let fromMetadata = false;
  let fromText = false;
  for (const role of FIM_ROLES) {
    const legacy = LEGACY_KEYS[role];
    const declared = tokenId(metadata.get(fimKey(role))) ?? (legacy ? tokenId(metadata.get(legacy)) : undefined);
    const id = declared ?? byText.get(role);
    if (id === undefined) continue;
    tokens[role] = id;
    if (declared !== undefined) fromMetadata = true;
    else fromText = true;
  }
  const missing = REQUIRED_FIM_ROLES.filter((role) => tokens[role] === undefined);
  const source = fromMetadata ? 'metadata' : fromText ? 'token text' : 'none';
  return { tokens, complete: missing.length === 0, missing, source };
}
