import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import type { MdNode } from './tree';

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** Code longer than this is shown unhighlighted: highlighting it would stall the view. */
export const MAX_HIGHLIGHT_CHARS = 100_000;

/**
 * Highlights code into tree nodes. highlight.js returns HTML, but of a fixed, tiny shape: escaped text
 * and `<span class="...">` / `</span>`. That shape is parsed here with a strict scanner; anything else
 * (which would mean a highlight.js bug) makes the whole block fall back to plain text.
 */
export function highlightCode(code: string, language: string): MdNode[] {
  const plain: MdNode[] = [{ kind: 'text', text: code }];
  if (language === '' || code.length > MAX_HIGHLIGHT_CHARS || !hljs.getLanguage(language)) return plain;
  let html: string;
  try {
    html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
  } catch {
    return plain;
  }
  const nodes = parseHighlighted(html);
  return nodes ?? plain;
}

const TOKEN = /<span class="([a-z0-9_ -]{1,80})">|<\/span>|[^<]+|</gy;
const ENTITY = /&(amp|lt|gt|quot|#x27|#39);/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#x27': "'", '#39': "'" };

/** Parses highlight.js output; undefined when it is not exactly the expected shape. */
export function parseHighlighted(html: string): MdNode[] | undefined {
  const root: MdNode[] = [];
  const stack: MdNode[][] = [root];
  TOKEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (TOKEN.lastIndex < html.length && (match = TOKEN.exec(html)) !== null) {
    const [token, classes] = match;
    const top = stack[stack.length - 1]!; // root stays at the bottom: '</span>' pops only above it
    if (classes !== undefined) {
      const className = classes
        .split(' ')
        .filter((c) => /^(hljs-[a-z0-9_-]+|language-[a-z0-9_-]+|[a-z_]+_)$/.test(c))
        .join(' ');
      const children: MdNode[] = [];
      top.push({ kind: 'element', tag: 'span', className, children });
      stack.push(children);
    } else if (token === '</span>') {
      if (stack.length === 1) return undefined;
      stack.pop();
    } else if (token === '<') {
      return undefined;
    } else {
      if (/&(?!(amp|lt|gt|quot|#x27|#39);)/.test(token)) return undefined;
      top.push({ kind: 'text', text: token.replace(ENTITY, (entity, name: string) => ENTITIES[name] ?? entity) });
    }
  }
  if (stack.length !== 1 || TOKEN.lastIndex !== html.length) return undefined;
  return root;
}

/** Fence info strings people write, mapped to highlight.js names. */
const ALIASES: Record<string, string> = {
  js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript', node: 'javascript',
  ts: 'typescript', tsx: 'typescript', mts: 'typescript', cts: 'typescript',
  py: 'python', python3: 'python', sh: 'bash', zsh: 'bash', console: 'shell', shellsession: 'shell',
  html: 'xml', htm: 'xml', svg: 'xml', xhtml: 'xml', 'c++': 'cpp', cc: 'cpp', hpp: 'cpp', h: 'c',
  cs: 'csharp', 'c#': 'csharp', rs: 'rust', golang: 'go', yml: 'yaml', md: 'markdown', patch: 'diff',
  jsonc: 'json', json5: 'json',
};

export function highlightLanguage(language: string): string {
  return ALIASES[language] ?? language;
}
