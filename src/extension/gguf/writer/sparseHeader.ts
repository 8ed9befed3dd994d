// A sparse model's header parsed in memory, without writing a file: the header bytes followed by a
// virtual hole up to the full file size, so the planner sees exactly what a real file would give.
import { readGgufHeaderFrom, type GgufHeader } from '../header';
import { sparseModelSpec, type SparsePreset, type SparseQuant } from './models';
import { serializeHeader } from './ggufWriter';
import { SMALL_SHAPES, type SmallPreset } from './shapes';

const cache = new Map<string, Promise<GgufHeader>>();

export function sparseHeader(preset: SparsePreset | SmallPreset, quant: SparseQuant = 'Q4_K_M'): Promise<GgufHeader> {
  const key = `${preset}/${quant}`;
  let found = cache.get(key);
  if (!found) {
    const spec = sparseModelSpec(preset in SMALL_SHAPES ? SMALL_SHAPES[preset as SmallPreset] : (preset as SparsePreset), { quant });
    const { header, layout } = serializeHeader(spec.kvs, spec.tensors);
    found = readGgufHeaderFrom({
      size: layout.fileSize,
      read: async (target, targetOffset, length, position) => {
        target.fill(0, targetOffset, targetOffset + length);
        if (position < header.length) header.copy(target, targetOffset, position, Math.min(header.length, position + length));
        return length;
      },
      close: async () => undefined,
    });
    cache.set(key, found);
  }
  return found;
}
