import { el } from './dom';

/** A screen reader reads this much of a finished reply; the rest is in the transcript. */
const MAX_ANNOUNCED_CHARS = 4_000;

/**
 * An off-screen live region that speaks each finished reply once. The transcript itself is not live (its
 * streaming tail is redrawn every frame), so this is the only thing a screen reader hears of a reply.
 */
export class Announcer {
  readonly element = el('div', { className: 'visually-hidden', testId: 'announcer' });

  constructor() {
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-atomic', 'true');
  }

  /** A reply finished: its text, then how it ended when it did not complete ("Stopped", "Error: ..."). */
  reply(text: string, marker: string): void {
    const body = text.trim();
    const cut = body.length > MAX_ANNOUNCED_CHARS ? `${body.slice(0, MAX_ANNOUNCED_CHARS)}… (continues in the transcript)` : body;
    this.say(['Model replied:', cut, marker].filter((part) => part !== '').join(' '));
  }

  say(text: string): void {
    // Replaced, not appended: aria-atomic reads the region whole, so only the newest reply is spoken.
    this.element.textContent = text;
  }
}
