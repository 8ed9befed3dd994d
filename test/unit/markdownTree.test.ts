import { XSS_CORPUS } from '../fixtures/xssCorpus';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { markdownToTree, fenceLanguage } from '../../src/webview/chat/markdown/toTree';
import { highlightCode, parseHighlighted } from '../../src/webview/chat/markdown/highlight';
import { openableUrl, imageSource } from '../../src/webview/protocol/links';
import { ALLOWED_TAGS, textOf, type MdNode } from '../../src/webview/chat/markdown/tree';
import { stableBoundary, stableCuts } from '../../src/webview/chat/markdown/streamSplit';
import { itemAt } from '../fixtures/itemAt';

/** Every node of a tree, depth first (highlighted code spans included). */
function walk(nodes: readonly MdNode[], out: MdNode[] = []): MdNode[] {
  for (const node of nodes) {
    out.push(node);
    if (node.kind === 'element' || node.kind === 'link') walk(node.children, out);
    if (node.kind === 'codeBlock') walk(node.highlighted, out);
  }
  return out;
}

const SAFE_CLASS = /^((hljs-[a-z0-9_-]+|language-[a-z0-9_-]+|[a-z_]+_|align-(left|right|center)|link-refused) ?)*$/;

/** The invariants that make a tree safe to materialize, whatever the input was. */
function assertSafe(tree: readonly MdNode[], input: string): void {
  for (const node of walk(tree)) {
    if (node.kind === 'element') {
      assert.ok(ALLOWED_TAGS.includes(node.tag), `tag ${node.tag} from ${JSON.stringify(input)}`);
      assert.ok(node.className === undefined || SAFE_CLASS.test(node.className), `class ${node.className}`);
      assert.deepEqual(
        Object.keys(node).filter((k) => !['kind', 'tag', 'className', 'start', 'children'].includes(k)),
        [],
      );
    } else if (node.kind === 'link') {
      assert.match(node.href, /^https?:\/\/[^\s]+$/, `link ${node.href} from ${JSON.stringify(input)}`);
    }
  }
}

const links = (tree: MdNode[]) => walk(tree).filter((n) => n.kind === 'link').map((n) => (n.kind === 'link' ? n.href : ''));
const images = (tree: MdNode[]) => walk(tree).filter((n): n is Extract<MdNode, { kind: 'image' }> => n.kind === 'image');
const codeBlocks = (tree: MdNode[]) => walk(tree).filter((n): n is Extract<MdNode, { kind: 'codeBlock' }> => n.kind === 'codeBlock');



test('the XSS corpus yields only allow-listed nodes, http(s) links and unloaded images', () => {
  for (const input of XSS_CORPUS) {
    const tree = markdownToTree(input);
    assertSafe(tree, input);
    // Text that holds a plain https URL may be linkified (opened only after the host's confirmation).
    if (!/\bhttps:\/\//.test(input)) assert.deepEqual(links(tree), [], `no link from ${JSON.stringify(input)}`);
  }
});

test('raw HTML is shown as its text, never parsed', () => {
  const tree = markdownToTree('<img src=x onerror=alert(1)> and <script>alert(1)</script>');
  assert.equal(textOf(tree), '<img src=x onerror=alert(1)> and <script>alert(1)</script>');
  assert.equal(images(tree).length, 0);
});

test('entities decode to text (which the DOM shows as text)', () => {
  const tree = markdownToTree('&lt;script&gt; &amp; &#x3C;b&#x3E;');
  assert.equal(textOf(tree), '<script> & <b>');
  assertSafe(tree, '');
});

test('images become placeholders naming the host; nothing is loaded', () => {
  const tree = markdownToTree('![chart](https://evil.example:8443/leak.png?q=secret) ![d](data:image/png;base64,AAAA) ![r](img/a.png)');
  assert.deepEqual(
    images(tree).map((i) => [i.alt, i.source]),
    [
      ['chart', 'evil.example:8443'],
      ['d', 'inline data'],
      ['r', 'a relative path'],
    ],
  );
});

test('http(s) links and linkified URLs become links; others stay text', () => {
  const tree = markdownToTree('[a](https://example.com/x?y=1#z) see http://a.example/b. [rel](./file.md) <https://b.example>');
  assert.deepEqual(links(tree), ['https://example.com/x?y=1#z', 'http://a.example/b', 'https://b.example/']);
  assert.match(textOf(tree), /rel/);
});

test('nested fences: the outer fence holds the inner one as code', () => {
  const input = '````markdown\n```js\nalert(1)\n```\n````\nafter';
  const tree = markdownToTree(input);
  const blocks = codeBlocks(tree);
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]?.language, 'markdown');
  assert.equal(blocks[0]?.code, '```js\nalert(1)\n```');
  assert.match(textOf(tree), /after$/);
});

test('an unclosed fence mid-stream is a code block up to the end, with its language', () => {
  const tree = markdownToTree('Here:\n```ts\nconst a = "<img src=x onerror=alert(1)>";\nconst b');
  const block = itemAt(codeBlocks(tree), 0);
  assert.equal(block.language, 'ts');
  assert.equal(block.code, 'const a = "<img src=x onerror=alert(1)>";\nconst b');
  assert.equal(textOf(block.highlighted), block.code);
  assertSafe(tree, '');
});

test('highlighted code keeps its exact text and uses only hljs classes', () => {
  const code = 'const x: Array<string> = ["<a>", \'&amp;\'];\nfunction f() { return x && 1 < 2; }';
  const nodes = highlightCode(code, 'typescript');
  assert.equal(textOf(nodes), code);
  assert.ok(walk(nodes).some((n) => n.kind === 'element' && n.className === 'hljs-keyword'));
  assertSafe(nodes, code);
  const html = highlightCode('<div onclick="x()">&nbsp;</div><script>a<b</script>', 'xml');
  assert.equal(textOf(html), '<div onclick="x()">&nbsp;</div><script>a<b</script>');
});

test('unknown languages and huge code are left plain', () => {
  assert.deepEqual(highlightCode('x', 'brainfuck'), [{ kind: 'text', text: 'x' }]);
  assert.deepEqual(highlightCode('x', ''), [{ kind: 'text', text: 'x' }]);
});

test('the highlight.js output scanner refuses anything but spans and escaped text', () => {
  assert.deepEqual(parseHighlighted('<span class="hljs-keyword">if</span> a &lt; b'), [
    { kind: 'element', tag: 'span', className: 'hljs-keyword', children: [{ kind: 'text', text: 'if' }] },
    { kind: 'text', text: ' a < b' },
  ]);
  assert.equal(parseHighlighted('<img src=x onerror=alert(1)>'), undefined);
  assert.equal(parseHighlighted('<span class="x" onclick="y">a</span>'), undefined);
  assert.equal(parseHighlighted('<span class="a">unclosed'), undefined);
  assert.equal(parseHighlighted('</span>'), undefined);
  assert.equal(parseHighlighted('a &nbsp; b'), undefined);
  assert.deepEqual(parseHighlighted('<span class="evil hljs-string">s</span>'), [
    { kind: 'element', tag: 'span', className: 'hljs-string', children: [{ kind: 'text', text: 's' }] },
  ]);
});

test('fence languages are reduced to a plain identifier', () => {
  assert.equal(fenceLanguage('TypeScript {1,3}'), 'typescript');
  assert.equal(fenceLanguage('"><img'), '');
  assert.equal(fenceLanguage(''), '');
  assert.equal(fenceLanguage('c++'), 'c++');
});

test('openableUrl allows only absolute http(s)', () => {
  assert.equal(openableUrl('https://example.com'), 'https://example.com/');
  assert.equal(openableUrl('HTTP://EXAMPLE.com/a b'), 'http://example.com/a%20b');
  for (const bad of ['javascript:alert(1)', 'command:x', 'vscode://x', 'file:///etc', 'data:text/html,x', '/relative', 'https://', 'http://' + 'a'.repeat(9000)]) {
    assert.equal(openableUrl(bad), undefined, bad);
  }
  assert.equal(imageSource(''), 'nowhere');
});

test('markdown structure: headings, lists, tables, emphasis, inline code', () => {
  const tree = markdownToTree('# T\n\n3. a\n4. b\n\n| l | r |\n|:--|--:|\n| 1 | 2 |\n\n*e* **s** ~~d~~ `c`');
  const tags = walk(tree).flatMap((n) => (n.kind === 'element' ? [n.tag] : []));
  for (const tag of ['h1', 'ol', 'li', 'table', 'th', 'td', 'em', 'strong', 's', 'code']) assert.ok(tags.includes(tag as never), tag);
  const ol = walk(tree).find((n) => n.kind === 'element' && n.tag === 'ol');
  assert.equal(ol?.kind === 'element' ? ol.start : undefined, 3);
  assert.ok(walk(tree).some((n) => n.kind === 'element' && n.className === 'align-right'));
});

test('stableBoundary cuts after blank lines outside fences only, and never moves back', () => {
  assert.equal(stableBoundary('para one\n\npara two'), 'para one\n\n'.length);
  assert.equal(stableBoundary('```js\na\n\nb\n'), 0, 'inside an open fence');
  const closed = '```js\na\n\nb\n```\n\nnext';
  assert.equal(stableBoundary(closed), closed.indexOf('next'));
  assert.equal(stableBoundary('a\n\n    code'), 0, 'an indented line may continue a block');
  assert.equal(stableBoundary('a\n\n  '), 0, 'undecided until the next line shows its indent');
  const text = '# Title\n\nSome text.\n\n```py\nx = 1\n\n\ny = 2\n```\n\n- a\n- b\n\nEnd of reply\n';
  let last = 0;
  for (let i = 0; i <= text.length; i++) {
    const b = stableBoundary(text.slice(0, i));
    assert.ok(b >= last, `boundary moved back at ${i}`);
    last = b;
  }
});

test('rendering a stream in stable pieces gives the same text as rendering it whole', () => {
  const text = '# Title\n\nSome *text*.\n\n```py\nx = 1\n\n\ny = 2\n```\n\n1. a\n2. b\n\nEnd [l](https://x.example)';
  const cut = stableBoundary(text);
  const pieces = [...markdownToTree(text.slice(0, cut)), ...markdownToTree(text.slice(cut))];
  assert.equal(textOf(pieces).replace(/\s+/g, ''), textOf(markdownToTree(text)).replace(/\s+/g, ''));
});

test('stableCuts: pieces of about the target size, each cut a stable boundary, never inside a fence, covering the text', () => {
  const block = (i: number) => `Paragraph ${i} with some words.\n\n\`\`\`ts\nconst a${i} = ${i};\n\n// a blank line inside the fence\n\`\`\`\n\n- item\n\n    indented code\n\n`;
  const text = Array.from({ length: 200 }, (_, i) => block(i)).join('');
  const cuts = stableCuts(text, 1000);
  assert.equal(cuts.at(-1), text.length);
  assert.ok(cuts.length > 10, `${cuts.length} pieces`);
  let start = 0;
  for (const cut of cuts) {
    assert.ok(cut > start, 'cuts increase');
    if (cut < text.length) {
      assert.equal(stableBoundary(text.slice(0, cut + 4)) >= cut, true, `${cut} is a stable boundary`);
      const fences = (text.slice(0, cut).match(/^```/gm) ?? []).length;
      assert.equal(fences % 2, 0, `the cut at ${cut} is outside every fence`);
      assert.ok(cut - start <= 1000 + block(0).length, 'pieces stay near the target');
    }
    start = cut;
  }
  assert.deepEqual(stableCuts('short', 1000), [5]);
  const oneFence = `\`\`\`\n${'x\n\n'.repeat(2000)}\`\`\`\n`;
  assert.deepEqual(stableCuts(oneFence, 1000), [oneFence.length], 'a fence longer than the target stays one piece');
});
