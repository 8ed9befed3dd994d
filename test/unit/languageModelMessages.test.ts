// What another extension sends through vscode.lm becomes llama-server's chat messages; what it shows of the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { languageModelInfo, requestOptions, toChatMessages } from '../../src/extension/chat/languageModelMessages';

test('messages: text parts joined, unreadable parts left out, tool results as text, same-role neighbours merged', () => {
  assert.deepEqual(
    toChatMessages([
      { role: 'system', parts: [{ kind: 'text', text: 'Be brief.' }] },
      { role: 'user', parts: [{ kind: 'text', text: 'Hello ' }, { kind: 'other' }, { kind: 'text', text: 'there' }] },
      { role: 'user', parts: [{ kind: 'toolResult', text: 'ls: a b' }] },
      { role: 'assistant', parts: [{ kind: 'other' }] },
      { role: 'assistant', parts: [{ kind: 'text', text: 'Hi.' }] },
      { role: 'user', parts: [{ kind: 'text', text: '  ' }] },
    ]),
    [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hello there\n\nls: a b' },
      { role: 'assistant', content: 'Hi.' },
    ],
  );
  assert.deepEqual(toChatMessages([]), []);
});

test('request options: only a sane temperature and token limit pass', () => {
  assert.deepEqual(requestOptions(undefined), {});
  assert.deepEqual(requestOptions({ temperature: 0.2, maxTokens: 64 }), { temperature: 0.2, maxTokens: 64 });
  assert.deepEqual(requestOptions({ max_tokens: 10 }), { maxTokens: 10 });
  assert.deepEqual(requestOptions({ temperature: -1, maxTokens: 1.5, stop: ['x'] }), {});
  assert.deepEqual(requestOptions({ temperature: '0.5', maxTokens: Number.POSITIVE_INFINITY }), {});
});

test('model information: the file name as id, the context size as the token limits', () => {
  assert.deepEqual(languageModelInfo({ model: 'Qwen2.5-Coder-7B-Q4_K_M.gguf', contextSize: 8192 }), {
    id: 'Qwen2.5-Coder-7B-Q4_K_M.gguf',
    name: 'Qwen2.5-Coder-7B-Q4_K_M',
    family: 'llama.cpp',
    version: 'Qwen2.5-Coder-7B-Q4_K_M.gguf',
    maxInputTokens: 8192,
    maxOutputTokens: 8192,
    tooltip: "Qwen2.5-Coder-7B-Q4_K_M.gguf, run locally by Headroom's llama-server (context 8192 tokens)",
  });
});
