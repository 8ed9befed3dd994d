// A short list of coding models to offer on first run, in sizes from a laptop to a 24 GB card.
// Single-file Q4_K_M quants from bartowski's repositories (one file each, the usual default quant);
// sizes are approximate: the repository listing gives the exact size and sha256 at download time.
import type { HardwareFacts } from '../memory/hardware';
import { sizeOnly } from './remoteVerdicts';
import type { Verdict, VerdictFn } from './verdict';

export interface CatalogueEntry {
  readonly label: string;
  readonly repo: string;
  readonly file: string;
  readonly approxBytes: number;
  readonly parameters: string;
}

export const CODING_MODELS: readonly CatalogueEntry[] = [
  { label: 'Qwen2.5-Coder 1.5B Instruct', parameters: '1.5B', repo: 'bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF', file: 'Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf', approxBytes: 0.99e9 },
  { label: 'Qwen2.5-Coder 3B Instruct', parameters: '3.1B', repo: 'bartowski/Qwen2.5-Coder-3B-Instruct-GGUF', file: 'Qwen2.5-Coder-3B-Instruct-Q4_K_M.gguf', approxBytes: 1.93e9 },
  { label: 'Qwen2.5-Coder 7B Instruct', parameters: '7.6B', repo: 'bartowski/Qwen2.5-Coder-7B-Instruct-GGUF', file: 'Qwen2.5-Coder-7B-Instruct-Q4_K_M.gguf', approxBytes: 4.68e9 },
  { label: 'Qwen2.5-Coder 14B Instruct', parameters: '14.7B', repo: 'bartowski/Qwen2.5-Coder-14B-Instruct-GGUF', file: 'Qwen2.5-Coder-14B-Instruct-Q4_K_M.gguf', approxBytes: 8.99e9 },
  { label: 'Qwen2.5-Coder 32B Instruct', parameters: '32.8B', repo: 'bartowski/Qwen2.5-Coder-32B-Instruct-GGUF', file: 'Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf', approxBytes: 19.85e9 },
];

/** On a CPU alone, models past this size answer too slowly for coding help. */
const CPU_COMFORT_BYTES = 5e9;

export interface Recommendation {
  readonly entry: CatalogueEntry;
  readonly verdict: Verdict;
  readonly recommended: boolean;
  /** Why this one is (or isn't) the pick, in a line. */
  readonly reason: string;
}

/**
 * Each entry with its verdict; the recommended one is the largest that runs fully on the GPU, or,
 * without room on a GPU, the largest that fits in RAM up to ~7B (bigger ones are too slow on a CPU).
 */
export function recommendModels(hardware: HardwareFacts, verdictFn: VerdictFn, entries: readonly CatalogueEntry[] = CODING_MODELS): Recommendation[] {
  const judged = entries.map((entry) => ({ entry, verdict: verdictFn(sizeOnly(entry.approxBytes), hardware) }));
  const onGpu = judged.filter((j) => j.verdict.kind === 'gpu');
  const onCpu = judged.filter((j) => j.verdict.kind !== 'no-fit' && j.entry.approxBytes <= CPU_COMFORT_BYTES);
  const pick = onGpu[onGpu.length - 1] ?? onCpu[onCpu.length - 1] ?? judged[0];
  return judged.map((j) => {
    const recommended = j === pick;
    const reason =
      recommended && j.verdict.kind === 'gpu' ? 'the largest that runs fully on your GPU'
      : recommended && j.verdict.kind !== 'no-fit' ? 'the largest that runs well on this machine without a big enough GPU'
      : recommended ? 'the smallest; even this may not fit'
      : j.verdict.kind === 'no-fit' ? 'too large for this machine'
      : pick && j.entry.approxBytes > pick.entry.approxBytes ? 'larger: slower here'
      : 'smaller and faster, less capable';
    return { ...j, recommended, reason };
  });
}
