import type { FoundModel } from './discover';
import { formatBytes } from './format';
import { formatParameters, type ModelSummary } from './modelSummary';

/** "llama · 8.0B · Q4_K_M · 4.9 GB" (and the kind for non-models). */
export function describeSummary(summary: ModelSummary, sizeBytes: number): string {
  const parts = [summary.architecture, formatParameters(summary.parameterCount), summary.quant, formatBytes(sizeBytes)];
  if (summary.kind !== 'model') parts.unshift(summary.kind);
  return parts.filter((p): p is string => Boolean(p)).join(' · ');
}

export function describeFound(model: FoundModel): string {
  const split = model.parts.length > 1 ? ` · ${model.parts.length} parts` : '';
  return `${describeSummary(model.summary, model.sizeBytes)}${split}`;
}
