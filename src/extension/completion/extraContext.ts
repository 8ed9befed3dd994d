// Context from beyond the cursor's window, the way llama.vscode's ring buffer gathers it: chunks of
// lines from files the user opened, edited or saved and from the clipboard, the newest kept, a chunk that
// mostly repeats another replacing it. They go to /infill as input_extra, before the FIM prefix, where
// the server's prompt cache keeps them evaluated between requests.
import { RingBuffer } from '../common/ringBuffer';

export interface ExtraChunk {
  readonly filename: string;
  readonly text: string;
}

export interface ExtraContextOptions {
  /** Chunks kept. */
  readonly capacity: number;
  /** Lines in one chunk. */
  readonly chunkLines: number;
}

export const DEFAULT_EXTRA_CONTEXT: ExtraContextOptions = { capacity: 16, chunkLines: 64 };

/** Chunks with fewer non-blank lines than this say too little to be worth their tokens. */
const MIN_LINES = 3;
/** Two chunks sharing more of their lines than this are one chunk twice. */
const SAME_CHUNK = 0.9;
/** A chunk sharing this much with the cursor's window would only repeat it. */
const REPEATS_WINDOW = 0.5;

/** Share of lines the two have in common (llama.vscode's chunk similarity). */
export function chunkSimilarity(a: string, b: string): number {
  const linesA = a.split('\n');
  const linesB = new Set(b.split('\n'));
  const common = linesA.filter((line) => linesB.has(line)).length;
  return (2 * common) / (linesA.length + linesB.size);
}

/** Share of `chunk`'s non-blank lines that `window` also has. */
export function shareIn(chunk: string, window: string): number {
  const lines = chunk.split('\n').filter((line) => line.trim() !== '');
  const inWindow = new Set(window.split('\n'));
  return lines.length === 0 ? 1 : lines.filter((line) => inWindow.has(line)).length / lines.length;
}

export class ExtraContext {
  private readonly ring: RingBuffer<ExtraChunk>;

  constructor(private readonly options: ExtraContextOptions = DEFAULT_EXTRA_CONTEXT) {
    this.ring = new RingBuffer(options.capacity);
  }

  /**
   * Takes the chunk of `text` centred on `aroundLine` (a cursor, an edit) or its start; returns whether it
   * was kept. A chunk with too little text is not.
   */
  add(filename: string, text: string, aroundLine = 0): boolean {
    const lines = text.split(/\r?\n/);
    const start = Math.max(0, Math.min(aroundLine - Math.floor(this.options.chunkLines / 2), lines.length - this.options.chunkLines));
    const picked = lines.slice(start, start + this.options.chunkLines);
    if (picked.filter((line) => line.trim() !== '').length < MIN_LINES) return false;
    const chunk = { filename, text: `${picked.join('\n')}\n` };
    const others = this.ring.toArray().filter((c) => chunkSimilarity(c.text, chunk.text) <= SAME_CHUNK);
    this.ring.clear();
    for (const other of others) this.ring.push(other);
    this.ring.push(chunk);
    return true;
  }

  /**
   * Oldest first, so the newest sit nearest the cursor's text in the prompt; those that mostly repeat
   * `window` (the text the request sends as prefix and suffix anyway) are left out.
   */
  chunks(window = ''): ExtraChunk[] {
    return this.ring.toArray().filter((c) => window === '' || shareIn(c.text, window) <= REPEATS_WINDOW);
  }
}
