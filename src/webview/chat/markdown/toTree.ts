import MarkdownIt from 'markdown-it';
import { highlightCode, highlightLanguage } from './highlight';
import { imageSource, openableUrl } from '../../protocol/links';
import { isAllowedTag, type MdElement, type MdNode } from './tree';

/**
 * Model markdown -> the neutral tree (see tree.ts). markdown-it parses with raw HTML off, so `<script>`
 * and friends arrive as text tokens; this walk is the allow-list: each token type it knows becomes a
 * tree node, everything else becomes its text content. No token's attributes are copied except the few
 * read and validated here (a link's href, an image's src for its host name, an ordered list's start).
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
type Token = MarkdownIt.Token;

export function markdownToTree(source: string): MdNode[] {
  return tokensToTree(md.parse(source, {}));
}

interface Frame {
  children: MdNode[];
  /** The token type that closes this frame (e.g. 'paragraph_close'); null for the root. */
  closes: string | null;
}

function tokensToTree(tokens: readonly Token[]): MdNode[] {
  const root: MdNode[] = [];
  const stack: Frame[] = [{ children: root, closes: null }];
  const top = (): Frame => stack[stack.length - 1]!; // the root frame is never popped
  for (const token of tokens) {
    if (token.nesting === 1) {
      const closes = token.type.replace(/_open$/, '_close');
      // Tight lists hide their paragraphs: the children go straight into the list item.
      if (token.hidden) {
        stack.push({ children: top().children, closes });
        continue;
      }
      const node = openNode(token);
      top().children.push(node);
      stack.push({ children: node.children, closes });
    } else if (token.nesting === -1) {
      // Close the matching frame; a stray close (never produced by markdown-it) is ignored.
      if (stack.length > 1 && top().closes === token.type) stack.pop();
    } else {
      top().children.push(...leafNodes(token));
    }
  }
  return root;
}

function openNode(token: Token): MdElement | Extract<MdNode, { kind: 'link' }> {
  if (token.type === 'link_open') {
    const href = openableUrl(attr(token, 'href'));
    // A link we won't open is still shown, as its text in a span.
    if (href !== undefined) return { kind: 'link', href, children: [] };
    return { kind: 'element', tag: 'span', className: 'link-refused', children: [] };
  }
  const tag = isAllowedTag(token.tag) ? token.tag : token.block ? 'div' : 'span';
  const node: MdElement = { kind: 'element', tag, children: [] };
  if (token.type === 'ordered_list_open') {
    const start = Number(attr(token, 'start') || '1');
    if (Number.isSafeInteger(start) && start !== 1 && start >= 0) node.start = start;
  }
  if (tag === 'th' || tag === 'td') {
    const align = /text-align:(left|right|center)/.exec(attr(token, 'style'))?.[1];
    if (align) node.className = `align-${align}`;
  }
  return node;
}

function leafNodes(token: Token): MdNode[] {
  switch (token.type) {
    case 'inline':
      return tokensToTree(token.children ?? []);
    case 'text':
      return token.content === '' ? [] : [{ kind: 'text', text: token.content }];
    case 'code_inline':
      return [{ kind: 'element', tag: 'code', children: [{ kind: 'text', text: token.content }] }];
    case 'softbreak':
      return [{ kind: 'text', text: '\n' }];
    case 'hardbreak':
      return [{ kind: 'element', tag: 'br', children: [] }];
    case 'hr':
      return [{ kind: 'element', tag: 'hr', children: [] }];
    case 'fence':
    case 'code_block': {
      const language = token.type === 'fence' ? fenceLanguage(token.info) : '';
      const code = token.content.replace(/\n$/, '');
      return [{ kind: 'codeBlock', language, code, highlighted: highlightCode(code, highlightLanguage(language)) }];
    }
    case 'image':
      return [{ kind: 'image', alt: token.content, source: imageSource(attr(token, 'src')) }];
    default:
      // html_block / html_inline cannot occur with html: false; anything unknown is shown as text.
      return token.content === '' ? [] : [{ kind: 'text', text: token.content }];
  }
}

/** The first word of a fence's info string, lower-cased and limited to a sane identifier. */
export function fenceLanguage(info: string): string {
  const word = info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return /^[a-z0-9_+#.-]{1,32}$/.test(word) ? word : '';
}

function attr(token: Token, name: string): string {
  const value = token.attrGet(name);
  return value === null ? '' : String(value);
}
