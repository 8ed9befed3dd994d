import { materialize, type RenderActions } from './markdown/materialize';
import { stableBoundary, stableCuts } from './markdown/streamSplit';
import { markdownToTree } from './markdown/toTree';

/** The longest a re-render of the streaming tail may keep the page busy per frame before we slow down. */
const FRAME_BUDGET_MS = 8;
/** Up to this size a finished streamed reply is rendered again whole; above it only the tail is (see finish). */
const FULL_RERENDER_MAX_CHARS = 20_000;
/** Pieces of a long finished reply (opened from history) rendered one or more per frame, last first. */
const PIECE_CHARS = 4_000;

/**
 * One assistant reply rendered as markdown. While it streams, text before the last stable cut (see
 * streamSplit.ts) is rendered once into frozen blocks and only the tail after it is re-rendered, at most
 * once per animation frame and less often when a render gets expensive. When the reply finishes, the
 * whole reply is rendered once more so constructs that span the cuts come out exactly.
 */
export class MarkdownView {
  readonly element = document.createElement('div');
  private readonly frozen = document.createElement('div');
  private readonly tail = document.createElement('div');
  private text = '';
  private frozenUpTo = 0;
  private scheduled = false;
  private lastCostMs = 0;
  private nextAllowedAt = 0;
  /** Bumped by setFinal, which replaces the content, so a piecewise render of the older text stops. */
  private renderGeneration = 0;

  constructor(
    private readonly actions: RenderActions,
    private readonly onRendered: () => void,
  ) {
    this.element.className = 'markdown';
    this.element.dataset.testid = 'markdown';
    this.element.append(this.frozen, this.tail);
  }

  /**
   * Renders finished text. A long one (a 20,000-token reply opened from history) goes in pieces cut at
   * stable boundaries, last piece first, a frame's budget at a time: the end, where the view opens, shows
   * at once and the page stays responsive while the rest fills in above it.
   */
  setFinal(text: string): void {
    this.text = text;
    this.scheduled = false;
    this.frozenUpTo = text.length;
    const generation = ++this.renderGeneration;
    this.tail.replaceChildren();
    // A piecewise render of earlier text that this one replaces is over (its next frame sees the new generation).
    delete this.element.dataset.rendering;
    if (text.length <= FULL_RERENDER_MAX_CHARS) {
      this.frozen.replaceChildren(materialize(markdownToTree(text), this.actions));
      this.onRendered();
      return;
    }
    const cuts = stableCuts(text, PIECE_CHARS);
    const starts = [0, ...cuts.slice(0, -1)];
    let next = cuts.length - 1;
    this.frozen.replaceChildren();
    this.element.dataset.rendering = 'pieces';
    const renderSome = (): void => {
      if (generation !== this.renderGeneration) return;
      const started = performance.now();
      do {
        const piece = document.createElement('div');
        piece.className = 'markdown-chunk markdown-piece';
        materialize(markdownToTree(text.slice(starts[next], cuts[next])), this.actions, piece);
        this.frozen.prepend(piece);
        next--;
      } while (next >= 0 && performance.now() - started < FRAME_BUDGET_MS);
      if (next >= 0) requestAnimationFrame(renderSome);
      else delete this.element.dataset.rendering;
      this.onRendered();
    };
    renderSome();
  }

  /**
   * The reply finished streaming. A short one is rendered again whole so that constructs spanning the
   * stable cuts (a loose list, a reference link defined later) come out exactly; a long one keeps its
   * frozen chunks and renders only the tail, so finishing a 20,000-token reply does not stall the view.
   */
  finish(text: string): void {
    if (text.length <= FULL_RERENDER_MAX_CHARS || this.frozenUpTo > text.length || !text.startsWith(this.text.slice(0, this.frozenUpTo))) {
      this.setFinal(text);
      return;
    }
    this.text = text;
    this.scheduled = false;
    this.tail.replaceChildren(materialize(markdownToTree(text.slice(this.frozenUpTo)), this.actions));
    this.onRendered();
  }

  /** Appends streamed text; the render happens on a later frame. */
  append(delta: string): void {
    this.text += delta;
    this.schedule();
  }

  get source(): string {
    return this.text;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      if (!this.scheduled) return;
      if (performance.now() < this.nextAllowedAt) {
        requestAnimationFrame(run);
        return;
      }
      this.scheduled = false;
      this.renderStreaming();
    };
    requestAnimationFrame(run);
  }

  private renderStreaming(): void {
    const started = performance.now();
    const cut = stableBoundary(this.text);
    if (cut > this.frozenUpTo) {
      const chunk = document.createElement('div');
      chunk.className = 'markdown-chunk';
      materialize(markdownToTree(this.text.slice(this.frozenUpTo, cut)), this.actions, chunk);
      this.frozen.append(chunk);
      this.frozenUpTo = cut;
    }
    this.tail.replaceChildren(materialize(markdownToTree(this.text.slice(this.frozenUpTo)), this.actions));
    this.lastCostMs = performance.now() - started;
    // An expensive tail (a long code block still open) is redrawn less often, keeping input responsive.
    this.nextAllowedAt = this.lastCostMs > FRAME_BUDGET_MS ? performance.now() + this.lastCostMs * 4 : 0;
    this.onRendered();
  }
}
