// Whether a model file can complete code, and when not, the one sentence that says why and what to run.
import { readGgufHeader } from '../gguf/header';
import { type FimRole, fimSupport, type FimSupport } from '../gguf/fimTokens';
import type { HardwareFacts } from '../memory/hardware';
import { CODING_MODELS, recommendModels } from '../models/catalogue';
import type { VerdictFn } from '../models/verdict';

export async function fimSupportOfFile(path: string): Promise<FimSupport> {
  const header = await readGgufHeader(path);
  return fimSupport(header.metadata, header.fimTokensByText);
}

const ROLE_NAMES: Record<FimRole, string> = { pre: 'prefix', suf: 'suffix', mid: 'middle', pad: 'pad', rep: 'repository', sep: 'file separator' };

/**
 * The coder model to suggest for completion on this machine: the catalogue's pick (largest fully on the
 * GPU, else the largest that runs well from RAM). Every catalogue entry is a Qwen2.5-Coder, whose
 * vocabulary has the FIM tokens.
 */
export function fimModelAdvice(hardware: HardwareFacts, verdictFn: VerdictFn): string {
  const pick = recommendModels(hardware, verdictFn, CODING_MODELS).find((r) => r.recommended);
  if (!pick) return 'a coder model trained for fill-in-the-middle, such as Qwen2.5-Coder';
  return `${pick.entry.label} (${pick.entry.repo}, ${pick.verdict.text} here)`;
}

/** One sentence: why `modelName` gets no completion, and the model to use instead. */
export function noFimSentence(modelName: string, support: FimSupport, advice: string): string {
  const missing = support.missing.map((role) => ROLE_NAMES[role]).join(', ');
  return (
    `Code completion is off because ${modelName} has no fill-in-the-middle tokens (missing: ${missing}), ` +
    `so it was not trained to write between the code before and after the cursor; for completion use ${advice}.`
  );
}
