/** llama.cpp's gguf-split naming: `<prefix>-00001-of-00003.gguf` (1-based, five digits). */
const SPLIT = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

export interface SplitName {
  readonly prefix: string;
  /** 1-based. */
  readonly part: number;
  readonly count: number;
}

export function parseSplitName(path: string): SplitName | undefined {
  const m = SPLIT.exec(path);
  if (!m) return undefined;
  const part = Number(m[2]);
  const count = Number(m[3]);
  return part >= 1 && part <= count ? { prefix: m[1]!, part, count } : undefined; // SPLIT's groups are not optional
}

/** Every part's path of a split model, given any part's path. */
export function splitPartPaths(path: string): string[] | undefined {
  const s = parseSplitName(path);
  if (!s) return undefined;
  const pad = (n: number): string => String(n).padStart(5, '0');
  return Array.from({ length: s.count }, (_, i) => `${s.prefix}-${pad(i + 1)}-of-${pad(s.count)}.gguf`);
}
