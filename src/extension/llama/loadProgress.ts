/**
 * llama-server prints no load percentage of its own (its progress callback only feeds router mode),
 * so the stages it logs while loading are mapped to a rough percentage. It only ever moves forward.
 */
const MILESTONES: readonly [RegExp, number][] = [
  [/llama_model_loader: loaded meta data/, 10],
  [/print_info: file type/, 15],
  [/load_tensors: loading model tensors/, 25],
  [/load_tensors: .*buffer size/, 55],
  [/llama_context: constructing/, 65],
  [/llama_kv_cache.*size|KV buffer size/i, 75],
  [/compute buffer size/, 85],
  [/warming up|warmup/i, 92],
  [/model loaded/, 100],
];

export class LoadProgress {
  private percent = 0;

  /** Feeds one stderr line; returns the new percentage when this line moved it forward. */
  push(line: string): number | null {
    for (const [re, percent] of MILESTONES) {
      if (percent > this.percent && re.test(line)) {
        this.percent = percent;
        return percent;
      }
    }
    return null;
  }
}
