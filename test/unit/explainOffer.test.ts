// Where the "Explain selection" Code Action (the lightbulb) is offered: code, and a selection with something to explain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isCodeLanguage, isExplainableSelection, offerExplain } from '../../src/extension/explain/offer';

test('not offered in prose, logs or data documents; offered in code', () => {
  for (const id of ['plaintext', 'markdown', 'log', 'Log', 'git-commit', 'csv', 'scminput', 'search-result', 'ansible-log']) assert.equal(isCodeLanguage(id), false, id);
  for (const id of ['typescript', 'python', 'rust', 'shellscript', 'json', 'yaml', 'sql', 'dockerfile', 'html', 'catalog']) assert.equal(isCodeLanguage(id), true, id);
});

test('not offered on whitespace or a single trivial token', () => {
  for (const text of ['', ' ', '\n\t \n', 'x', '  total  ', '42', '_id', '$el', '});', '  ;  ', '=>', 'naïve']) assert.equal(isExplainableSelection(text), false, JSON.stringify(text));
});

test('offered on a line, an expression, a call or a member chain', () => {
  for (const text of ['let total = 0;', 'x * factor', 'foo.bar', 'parse(x)', 'a[i]', 'for (const x of xs) total += x;\n', 'x => x + 1']) {
    assert.equal(isExplainableSelection(text), true, JSON.stringify(text));
  }
});

test('offerExplain needs both: code and a selection worth explaining', () => {
  assert.equal(offerExplain('typescript', 'let total = 0;'), true);
  assert.equal(offerExplain('markdown', 'let total = 0;'), false);
  assert.equal(offerExplain('typescript', 'total'), false);
  assert.equal(offerExplain('plaintext', '   '), false);
});
