// Apply's decisions without the editor: which text a code block replaces, what the document becomes, and when the
// text it was written for is gone (stale) so that Apply refuses instead of guessing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseApplyTarget, lineShare, NoApplyTargetError } from '../../src/extension/chat/applyTarget';
import { checkUnchanged, proposedEdit, StaleProposalError, textHash } from '../../src/extension/chat/applyProposal';
import { codeFences, fencePath, findCodeSource, type CodeSource } from '../../src/extension/chat/codeFences';
import type { Attachment, ChatEntry } from '../../src/extension/chat/entries';
import { HeadroomError } from '../../src/extension/common/errors';

const FILE = 'import x from "x";\n\nexport function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport const one = 1;\n';
const REWRITE = 'import x from "x";\n\nexport function add(a: number, b: number): number {\n  return b + a;\n}\n\nexport const one = 1;';
const SNIPPET = 'export function add(a: number, b: number): number {\n  return b + a;\n}';

const selection = (text: string, line = 2): Attachment => ({
  kind: 'selection',
  label: `main.ts:${line + 1}-${line + 3}`,
  text,
  tokens: 12,
  origin: { uri: 'file:///w/main.ts', start: { line, character: 0 }, end: { line: line + 2, character: 1 } },
});

test('fence paths: a language alone is no path; the usual ways of naming a file are', () => {
  for (const info of ['', 'ts', 'typescript', 'c++', 'objective-c', 'sh {.line-numbers}', 'ts -x']) assert.equal(fencePath(info), undefined, info);
  assert.equal(fencePath('ts src/main.ts'), 'src/main.ts');
  assert.equal(fencePath('ts:src/main.ts'), 'src/main.ts');
  assert.equal(fencePath('src/main.ts'), 'src/main.ts');
  assert.equal(fencePath('main.py'), 'main.py');
  assert.equal(fencePath('python title="app/x.py"'), 'app/x.py');
  assert.equal(fencePath('ts path=lib/a.ts'), 'lib/a.ts');
  assert.equal(fencePath('C:\\work\\a.ts'), 'C:\\work\\a.ts');
});

test('a code block is found in the newest reply holding it, with the attachments of the question it answers', () => {
  const att = selection('x');
  const entries: ChatEntry[] = [
    { id: 'u1', role: 'user', text: 'first', status: 'complete' },
    { id: 'a1', role: 'assistant', text: '```ts old.ts\nconst a = 1;\n```', status: 'complete' },
    { id: 'u2', role: 'user', text: 'second', status: 'complete', attachments: [att] },
    { id: 'a2', role: 'assistant', text: 'Here:\n\n```ts src/new.ts\nconst a = 1;\n```\n\nand\n\n    indented();\n', status: 'complete' },
  ];
  assert.deepEqual(codeFences(entries[3]!.text), [
    { info: 'ts src/new.ts', code: 'const a = 1;' },
    { info: '', code: 'indented();' },
  ]);
  assert.deepEqual(findCodeSource(entries, 'const a = 1;'), { info: 'ts src/new.ts', attachments: [att] });
  assert.deepEqual(findCodeSource(entries.slice(0, 2), 'const a = 1;'), { info: 'ts old.ts', attachments: [] });
  assert.equal(findCodeSource(entries, 'const b = 2;'), undefined, 'a block no reply holds (the user typed it) has no source');
});

test('the target: a named file first, then the attached selection, then the active file when the block is most of it, then the active selection', () => {
  const att = selection('export function add(a: number, b: number): number {\n  return a + b;\n}');
  const source = (info: string, attachments: Attachment[] = []): CodeSource => ({ info, attachments });
  const active = { uri: 'file:///w/main.ts', text: FILE, selectionEmpty: true };

  assert.deepEqual(chooseApplyTarget(REWRITE, source('ts src/main.ts', [att]), active), { kind: 'namedFile', path: 'src/main.ts' });
  assert.deepEqual(chooseApplyTarget(SNIPPET, source('ts', [att]), active), { kind: 'attachedRange', origin: att.origin, original: att.text, label: 'main.ts:3-5' });
  assert.deepEqual(chooseApplyTarget(REWRITE, source('ts'), active), { kind: 'activeFile' });
  assert.deepEqual(chooseApplyTarget(SNIPPET, source('ts'), { ...active, selectionEmpty: false }), { kind: 'activeSelection' });
  assert.deepEqual(chooseApplyTarget(REWRITE, undefined, { ...active, selectionEmpty: false }), { kind: 'activeSelection' }, 'a selection the user made wins over the whole-file guess');
  assert.throws(() => chooseApplyTarget(SNIPPET, source('ts'), active), NoApplyTargetError, 'a snippet, no selection anywhere: no guess');
  assert.throws(() => chooseApplyTarget(SNIPPET, undefined, undefined), (err: unknown) => err instanceof HeadroomError && /Select the lines/.test(err.hint ?? ''));
});

test('several attachments: the selection the block resembles most; a file attachment only when the block is most of the file', () => {
  const other = selection('const unrelated = 0;', 20);
  const near = selection('export function add(a: number, b: number): number {\n  return a + b;\n}');
  const file: Attachment = { kind: 'file', label: 'main.ts', text: FILE, tokens: 40, origin: { uri: 'file:///w/main.ts', start: { line: 0, character: 0 }, end: { line: 7, character: 0 } } };
  const diagnostics: Attachment = { kind: 'diagnostics', label: 'Problems', text: 'return b + a;', tokens: 3 };
  const pick = (code: string, attachments: Attachment[]) => chooseApplyTarget(code, { info: 'ts', attachments }, undefined);
  assert.equal((pick(SNIPPET, [other, near, diagnostics]) as { label: string }).label, near.label);
  assert.equal((pick(REWRITE, [file]) as { label: string }).label, 'main.ts');
  assert.equal((pick(SNIPPET, [file, near]) as { label: string }).label, near.label, 'a snippet does not replace the attached file');
  assert.throws(() => pick(SNIPPET, [file]), NoApplyTargetError);
  const noOrigin: Attachment = { kind: 'selection', label: 'old.ts:1-3', text: near.text, tokens: 3 };
  assert.throws(() => pick(SNIPPET, [noOrigin]), NoApplyTargetError, 'an attachment saved before origins were kept is not guessed at');
});

test('lineShare counts each line of the original once, ignoring indentation and blank lines', () => {
  assert.equal(lineShare('a\n  b\n\nc', 'c\nb\na'), 1);
  assert.equal(lineShare('a\na\nb\nc', 'a\nb'), 0.5);
  assert.equal(lineShare('', 'a'), 0);
  assert.equal(lineShare(FILE, REWRITE), 4 / 5);
  assert.equal(lineShare(FILE, SNIPPET), 2 / 5);
});

test('the proposed document: a range replaced, or the whole file with its final newline and line endings kept', () => {
  const doc = 'a\nb\nc\n';
  assert.deepEqual(proposedEdit(doc, { start: 2, end: 3 }, 'B1\nB2'), { range: { start: 2, end: 3 }, text: 'B1\nB2', result: 'a\nB1\nB2\nc\n' });
  assert.deepEqual(proposedEdit(doc, 'whole', 'x\ny'), { range: { start: 0, end: 6 }, text: 'x\ny\n', result: 'x\ny\n' });
  assert.equal(proposedEdit('x', 'whole', 'y').result, 'y', 'no final newline added to a file without one');
  const crlf = 'a\r\nb\r\n';
  assert.equal(proposedEdit(crlf, 'whole', 'x\ny').result, 'x\r\ny\r\n');
  assert.equal(proposedEdit(crlf, { start: 3, end: 4 }, 'p\nq').result, 'a\r\np\r\nq\r\n');
});

test('stale: Apply refuses text that is not what the code was written for, and says so', () => {
  const original = 'return a + b;';
  assert.doesNotThrow(() => checkUnchanged('main.ts', original, textHash(original)));
  assert.throws(
    () => checkUnchanged('The text attached as main.ts:3-5', 'return a - b;', textHash(original)),
    (err: unknown) => err instanceof StaleProposalError && err instanceof HeadroomError && /main\.ts:3-5 changed since the code was proposed/.test(err.message) && err.hint !== undefined,
  );
  assert.notEqual(textHash('a\n'), textHash('a\r\n'));
});
