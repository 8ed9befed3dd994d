// A question asked in an explanation's thread carries the whole thread to the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../src/extension/chat/types';
import { followUpMessages } from '../../src/extension/explain/followUp';

const request: ChatMessage[] = [
  { role: 'system', content: 'You explain code.' },
  { role: 'user', content: 'Explain the selected code from `sum.ts`:\n```ts\nlet total = 0;\n```' },
];

test('the first question: the explanation\'s request, its answer, then the question', () => {
  assert.deepEqual(followUpMessages(request, 'It starts a sum at zero.', [], 'Why not reduce()?'), [
    ...request,
    { role: 'assistant', content: 'It starts a sum at zero.' },
    { role: 'user', content: 'Why not reduce()?' },
  ]);
});

test('later questions: earlier exchanges in order; one left without an answer is dropped (no two user turns in a row)', () => {
  const messages = followUpMessages(request, 'It sums.', [
    { question: 'Why let?', answer: 'It is reassigned.' },
    { question: 'Stopped one', answer: '' },
    { question: 'And const?', answer: 'Would not compile.' },
  ], 'Is it fast?');
  assert.deepEqual(messages.slice(2).map((m) => `${m.role}: ${m.content}`), [
    'assistant: It sums.',
    'user: Why let?',
    'assistant: It is reassigned.',
    'user: And const?',
    'assistant: Would not compile.',
    'user: Is it fast?',
  ]);
  assert.deepEqual(request.length, 2, 'the request is not changed');
});
