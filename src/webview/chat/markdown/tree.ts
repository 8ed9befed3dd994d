/**
 * The neutral tree that model markdown becomes before it reaches the DOM. It can only express what the
 * chat view is willing to draw: allow-listed tags, a class name, and special nodes for links, images and
 * code blocks. Nothing in it is HTML; the webview materializes it with createElement and textContent only.
 */

/** Every element tag the renderer may create. Anything else in the markdown becomes text or a span. */
export const BLOCK_TAGS = [
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'hr',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'div',
] as const;
export const INLINE_TAGS = ['em', 'strong', 's', 'code', 'br', 'span'] as const;
export const ALLOWED_TAGS: readonly string[] = [...BLOCK_TAGS, ...INLINE_TAGS];

export type MdTag = (typeof BLOCK_TAGS)[number] | (typeof INLINE_TAGS)[number];

export interface MdElement {
  kind: 'element';
  tag: MdTag;
  /** Only classes the renderer itself chose (hljs-*, align-*); never text from the model. */
  className?: string;
  /** Ordered lists only. */
  start?: number;
  children: MdNode[];
}

export interface MdText {
  kind: 'text';
  text: string;
}

/** A link to an http(s) URL; the webview hands it to the host, which asks before opening it. */
export interface MdLink {
  kind: 'link';
  href: string;
  children: MdNode[];
}

/** An image that is never loaded: a placeholder naming where it would have come from. */
export interface MdImage {
  kind: 'image';
  alt: string;
  /** The host name, or a description such as 'inline data' or 'a relative path'. */
  source: string;
}

export interface MdCodeBlock {
  kind: 'codeBlock';
  /** The fence's language as written (lower-cased first word), '' when none. */
  language: string;
  code: string;
  /** The code split into highlighted spans; joining their text gives `code` back. */
  highlighted: MdNode[];
}

export type MdNode = MdElement | MdText | MdLink | MdImage | MdCodeBlock;

export const isAllowedTag = (tag: string): tag is MdTag => ALLOWED_TAGS.includes(tag);

/** The plain text of a subtree (what a user would read). */
export function textOf(nodes: readonly MdNode[]): string {
  let out = '';
  for (const node of nodes) {
    switch (node.kind) {
      case 'text':
        out += node.text;
        break;
      case 'image':
        out += node.alt;
        break;
      case 'codeBlock':
        out += node.code;
        break;
      case 'element':
      case 'link':
        out += textOf(node.children);
    }
  }
  return out;
}
