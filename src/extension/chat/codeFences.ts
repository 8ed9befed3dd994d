import MarkdownIt from 'markdown-it';
import type { Attachment, ChatEntry } from './entries';

/** A code block of a reply: its fence's info string ("ts src/main.ts") and its text, as the chat view shows it. */
export interface CodeFence {
  info: string;
  code: string;
}

// The same parser and options as the view (webview/chat/markdown/toTree.ts), so a block's text matches the button's.
const parser = new MarkdownIt({ html: false });

export function codeFences(markdown: string): CodeFence[] {
  return parser
    .parse(markdown, {})
    .filter((t) => t.type === 'fence' || t.type === 'code_block')
    .map((t) => ({ info: t.type === 'fence' ? t.info : '', code: t.content.replace(/\n$/, '') }));
}

/** Where a code block of the conversation came from: its fence and the context sent with the question it answers. */
export interface CodeSource {
  info: string;
  attachments: readonly Attachment[];
}

/** The newest reply holding `code` as a block, and the attachments of the user message before it. */
export function findCodeSource(entries: readonly ChatEntry[], code: string): CodeSource | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.role !== 'assistant') continue;
    const fence = codeFences(entry.text).find((f) => f.code === code);
    if (!fence) continue;
    const question = entries.slice(0, i).reverse().find((e) => e.role === 'user');
    return { info: fence.info, attachments: question?.attachments ?? [] };
  }
  return undefined;
}

const PATH_KEY = /^(?:path|file|filename|title)=/i;
/** Relative or absolute, forward or back slashes; a dot-extension or a slash tells a path from a language name. */
const LOOKS_LIKE_PATH = /^(?:[A-Za-z]:)?[\w.@~+\-/\\]+$/;

/**
 * The file a fence names, if any: "ts src/main.ts", "ts:src/main.ts", "src/main.ts", "ts title=src/main.ts",
 * `python path="app/x.py"`. Undefined when the info is only a language.
 */
export function fencePath(info: string): string | undefined {
  const words = info.trim().split(/\s+/).filter((w) => w !== '');
  const candidates: string[] = [];
  words.forEach((word, index) => {
    const keyed = PATH_KEY.test(word);
    let value = word.replace(PATH_KEY, '').replace(/^["']|["']$/g, '');
    if (index === 0 && !keyed) {
      const colon = /^[a-z0-9_+#.-]+:(?![\\/])(.+)$/i.exec(value);
      if (colon?.[1]) value = colon[1];
    }
    candidates.push(value);
  });
  return candidates.find((c) => LOOKS_LIKE_PATH.test(c) && !c.startsWith('-') && (/[\\/]/.test(c) || /[^.]\.[A-Za-z0-9]{1,10}$/.test(c)));
}
