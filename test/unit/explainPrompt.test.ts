import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainMessages, fence, reduceMessages } from '../../src/extension/explain/prompt';
import { toComment, wrapLine } from '../../src/extension/explain/insertComment';
import { trackEdit, type Span } from '../../src/extension/explain/rangeTracking';
import { splitByLines, halve } from '../../src/extension/explain/split';
import type { ExplainSubject } from '../../src/extension/explain/subject';
import { userContent } from './explainFakes';
import { itemAt } from '../fixtures/itemAt';

const subject: ExplainSubject = {
  languageId: 'typescript',
  fileName: 'src/math.ts',
  startLine: 10,
  code: 'function add(a: number, b: number) {\n  return a + b;\n}',
  before: ['// far away', 'import x from "y";', 'const nearest = 1;'],
  after: ['export { add };', '// far below'],
};

test('explain prompt: language, file, line range, the selection fenced, the nearest surrounding code', () => {
  const messages = explainMessages(subject, { before: 2, after: 1 });
  assert.equal(messages.length, 2);
  assert.equal(itemAt(messages, 0).role, 'system');
  const user = itemAt(messages, 1);
  assert.equal(user.role, 'user');
  assert.match(user.content, /`src\/math\.ts` \(TypeScript, lines 10-12\)/);
  assert.match(user.content, /Selected code:\n```typescript\nfunction add/);
  assert.match(user.content, /const nearest = 1;/);
  assert.match(user.content, /import x from "y";/);
  assert.doesNotMatch(user.content, /far away/, 'only the 2 nearest lines before');
  assert.match(user.content, /export \{ add \};/);
  assert.doesNotMatch(user.content, /far below/, 'only the nearest line after');
  const bare = userContent(explainMessages(subject, { before: 0, after: 0 }));
  assert.doesNotMatch(bare, /Code before|Code after/);
});

test('explain prompt for a problem carries the diagnostic message, severity and source', () => {
  const problem = { message: "Type 'string' is not assignable to type 'number'.", severity: 'error' as const, source: 'ts', code: '2322', line: 11 };
  const user = userContent(explainMessages({ ...subject, problem }, { before: 1, after: 1 }));
  assert.match(user, /Explain this error reported by ts \(2322\)/);
  assert.match(user, /> Type 'string' is not assignable to type 'number'\./);
  assert.match(user, /how to fix it/);
  assert.match(user, /The code it points at:/);
});

test('a fence is longer than any run of backticks in the code', () => {
  assert.equal(fence('a', 'python'), '```python\na\n```');
  assert.match(fence('x = ```` y', 'markdown'), /^`````markdown\n/);
});

test('the reduce prompt lists the part summaries in order with their lines', () => {
  const user = userContent(reduceMessages(subject, [{ startLine: 10, endLine: 11, text: 'first' }, { startLine: 12, endLine: 12, text: 'second' }], { before: 0, after: 0 }));
  assert.ok(user.indexOf('### lines 10-11\nfirst') < user.indexOf('### line 12\nsecond'));
});

test('splitByLines keeps every character, in order, within the size, with the right line numbers', () => {
  const code = ['aaaa', 'bb', 'cccccc', 'd', 'x'.repeat(25), 'e'].join('\n');
  const parts = splitByLines(code, 5, 10);
  for (const p of parts) assert.ok(p.code.length <= 10, `part too big: ${JSON.stringify(p)}`);
  assert.deepEqual(parts[0], { code: 'aaaa\nbb', startLine: 5, endLine: 6 });
  const long = parts.filter((p) => p.startLine === 9);
  assert.equal(long.map((p) => p.code).join(''), 'x'.repeat(25), 'a long line is broken into pieces of one line');
  const rebuilt = parts.map((p, i) => (i > 0 && itemAt(parts, i - 1).startLine === p.startLine ? '' : i > 0 ? '\n' : '') + p.code).join('');
  assert.equal(rebuilt, code);
  assert.equal(itemAt(parts, -1).endLine, 10);
});

test('halve splits by lines, or by characters for one line', () => {
  const [a, b] = halve({ code: '1\n2\n3', startLine: 7, endLine: 9 });
  assert.deepEqual([a, b], [{ code: '1\n2', startLine: 7, endLine: 8 }, { code: '3', startLine: 9, endLine: 9 }]);
  const [c, d] = halve({ code: 'abcd', startLine: 3, endLine: 3 });
  assert.equal(c.code + d.code, 'abcd');
});

test('Insert as Comment: the file own comment syntax, indented like the code, closing marks defused', () => {
  assert.equal(toComment('Adds two numbers.\n\nReturns the sum.', 'typescript', '  '), '  // Adds two numbers.\n  //\n  // Returns the sum.\n');
  assert.equal(toComment('Loops.', 'python', '    '), '    # Loops.\n');
  assert.equal(toComment('Query.', 'sql', ''), '-- Query.\n');
  const html = toComment('Ends with --> here', 'html', '') ?? '';
  assert.equal(html.split('-->').length - 1, 1, 'only the real closing mark');
  assert.match(html, /^<!--\n {2}Ends with - - > here\n-->\n$/);
  assert.equal(toComment('x', 'json', ''), undefined);
  assert.equal(toComment('x', 'plaintext', ''), undefined);
});

test('long explanation lines are wrapped at spaces', () => {
  assert.deepEqual(wrapLine('one two three four', 9), ['one two', 'three', 'four']);
  const c = toComment('word '.repeat(60).trim(), 'rust', '', 40) ?? '';
  for (const line of c.trimEnd().split('\n')) assert.ok(line.length <= 43, line);
});

test('edits: elsewhere shift the explained span, inside it they touch it', () => {
  const span: Span = { start: { line: 5, character: 0 }, end: { line: 7, character: 10 } };
  const at = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
  assert.deepEqual(trackEdit(span, { range: at(9, 0, 9, 0), text: 'later\n' }), span, 'after: unchanged');
  assert.deepEqual(trackEdit(span, { range: at(7, 10, 7, 10), text: ';' }), span, 'typing right after it');
  assert.deepEqual(trackEdit(span, { range: at(1, 0, 1, 0), text: '// a\n// b\n' }), { start: { line: 7, character: 0 }, end: { line: 9, character: 10 } });
  assert.deepEqual(trackEdit(span, { range: at(1, 0, 3, 0), text: '' }), { start: { line: 3, character: 0 }, end: { line: 5, character: 10 } });
  assert.equal(trackEdit(span, { range: at(6, 2, 6, 3), text: 'x' }), 'touched');
  assert.equal(trackEdit(span, { range: at(4, 0, 5, 3), text: '' }), 'touched', 'a deletion reaching into it');
  assert.equal(trackEdit(span, { range: at(6, 0, 6, 0), text: 'x' }), 'touched', 'an insertion inside it');
});
