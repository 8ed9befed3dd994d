import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CODE_ACTIONS,
  MAX_PATH_LENGTH,
  MAX_USER_TEXT,
  VIEW_COMMANDS,
  isChatEntry,
  isHostToWebview,
  isWebviewToHost,
  type ChatEntry,
  type HostToWebview,
  type WebviewToHost,
} from '../../src/webview/protocol/chat';

const entry: ChatEntry = { id: 'a1', role: 'assistant', text: 'hi', status: 'complete', stats: { tokens: 3, tokensPerSecond: 12.5, timeToFirstTokenMs: 80 } };
const noContext = { pending: [], used: null, limit: null, omittedTurns: 0 };
const server = { kind: 'ready', label: 'ready · tiny.gguf · ctx 2048' } as const;

const validHost: HostToWebview[] = [
  { type: 'snapshot', entries: [], server: { kind: 'stopped', label: 'stopped' }, busy: false, chatId: 'c1', chats: [], context: noContext },
  {
    type: 'snapshot',
    entries: [entry, { id: 'u1', role: 'user', text: 'q', status: 'complete', attachments: [{ kind: 'selection', label: 'a.ts:1-2', text: 'x', tokens: 3 }] }],
    server,
    busy: true,
    chatId: 'c1',
    chats: [{ id: 'c1', title: 'q', updatedAt: 1, messages: 2 }],
    context: { pending: [{ id: 'p1', kind: 'file', label: 'a.ts', tokens: null }], used: 100, limit: 2048, omittedTurns: 1 },
  },
  { type: 'chats', chatId: 'c2', chats: [] },
  { type: 'context', context: noContext },
  { type: 'focusInput' },
  { type: 'entryDone', id: 'a1', status: 'interrupted' },
  { type: 'server', server: { kind: 'failed', label: 'failed', detail: 'no binary' } },
  ...(['stopped', 'locating', 'planning', 'building', 'starting', 'loading', 'ready', 'crashed', 'failed'] as const).map(
    (kind): HostToWebview => ({ type: 'server', server: { kind, label: kind } }),
  ),
  { type: 'entryAdded', entry },
  { type: 'entryAdded', entry: { id: 'e', role: 'assistant', text: '', status: 'error', error: 'boom' } },
  { type: 'entryDelta', id: 'a1', text: ' more' },
  { type: 'entryDone', id: 'a1', status: 'complete', stats: { tokens: 1, tokensPerSecond: 0, timeToFirstTokenMs: 0 } },
  { type: 'entryDone', id: 'a1', status: 'stopped' },
  { type: 'entryDone', id: 'a1', status: 'error', error: 'connection refused' },
  { type: 'busy', busy: true },
  { type: 'busy', busy: false },
  { type: 'models', models: { models: [], configured: null, scanning: true } },
  {
    type: 'models',
    models: {
      models: [
        { path: '/m/a.gguf', label: 'a.gguf', fit: 'gpu', verdict: 'fully on GPU' },
        { path: 'C:\\m\\b.gguf', label: 'b.gguf', fit: 'no-fit', verdict: 'does not fit' },
      ],
      configured: '/m/a.gguf',
      scanning: false,
    },
  },
  { type: 'notice', text: 'Switching to a.gguf: restarting llama-server…' },
  { type: 'notice', text: '' },
  { type: 'showHistory' },
];

const validWebview: WebviewToHost[] = [
  { type: 'ready' },
  { type: 'send', text: 'hello' },
  { type: 'send', text: '' },
  { type: 'send', text: 'x'.repeat(MAX_USER_TEXT) },
  { type: 'stop' },
  { type: 'startServer' },
  { type: 'newChat' },
  { type: 'regenerate' },
  { type: 'editResend', id: 'u1', text: 'better question' },
  { type: 'openChat', id: '0b7c3f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
  { type: 'deleteChat', id: 'c1' },
  { type: 'codeAction', action: 'copy', code: 'x', language: 'ts' },
  { type: 'codeAction', action: 'newFile', code: 'x', language: '' },
  { type: 'codeAction', action: 'apply', code: 'x', language: 'ts' },
  { type: 'openLink', href: 'https://example.com' },
  { type: 'attach', kind: 'diagnostics' },
  { type: 'detach', id: 'p1' },
  { type: 'copyReply', id: 'a1' },
  { type: 'switchModel', path: '/home/me/models/a.gguf' },
  ...Object.keys(CODE_ACTIONS).map((action): WebviewToHost => ({ type: 'codeAction', action: action as keyof typeof CODE_ACTIONS, code: 'x', language: 'ts' })),
  ...VIEW_COMMANDS.map((command): WebviewToHost => ({ type: 'runCommand', command })),
];

test('isHostToWebview accepts every valid host message', () => {
  for (const message of validHost) assert.equal(isHostToWebview(message), true, JSON.stringify(message));
});

test('isHostToWebview accepts messages after a JSON round trip (as postMessage delivers them)', () => {
  for (const message of validHost) assert.equal(isHostToWebview(JSON.parse(JSON.stringify(message))), true);
});

test('isHostToWebview rejects wrong types and missing or malformed fields', () => {
  const invalid: unknown[] = [
    null,
    undefined,
    'snapshot',
    42,
    [],
    {},
    { type: 'nope' },
    { type: 7 },
    { type: 'snapshot', entries: [], server },
    { type: 'snapshot', entries: {}, server, busy: false },
    { type: 'snapshot', entries: [{ ...entry, role: 'system' }], server, busy: false },
    { type: 'snapshot', entries: [], server: { kind: 'sleeping', label: 'x' }, busy: false },
    { type: 'snapshot', entries: [], server: { kind: 'ready' }, busy: false },
    { type: 'snapshot', entries: [], server, busy: 'no' },
    { type: 'server' },
    { type: 'server', server: { kind: 'ready', label: 'x', detail: 3 } },
    { type: 'entryAdded', entry: { ...entry, status: 'done' } },
    { type: 'entryAdded', entry: { ...entry, text: 5 } },
    { type: 'entryAdded', entry: { ...entry, stats: { tokens: 1, tokensPerSecond: Number.NaN, timeToFirstTokenMs: 0 } } },
    { type: 'entryAdded', entry: { ...entry, stats: { tokens: 1 } } },
    { type: 'entryAdded', entry: { ...entry, error: 404 } },
    { type: 'entryDelta', id: 'a1' },
    { type: 'entryDelta', text: 'x' },
    { type: 'entryDelta', id: 1, text: 'x' },
    { type: 'entryDone', id: 'a1' },
    { type: 'entryDone', id: 'a1', status: 'finished' },
    { type: 'entryDone', id: 'a1', status: 'error', error: {} },
    { type: 'busy' },
    { type: 'busy', busy: 1 },
    { type: 'models' },
    { type: 'models', models: { models: [], configured: null } },
    { type: 'models', models: { models: [], configured: '', scanning: false } },
    { type: 'models', models: { models: [{ path: '/a', label: 'a', fit: 'tpu', verdict: 'x' }], configured: null, scanning: false } },
    { type: 'models', models: { models: [{ path: '', label: 'a', fit: 'gpu', verdict: 'x' }], configured: null, scanning: false } },
    { type: 'models', models: { models: [{ path: '/a', label: 'a', fit: 'gpu' }], configured: null, scanning: false } },
    { type: 'notice' },
    { type: 'notice', text: 3 },
  ];
  for (const message of invalid) assert.equal(isHostToWebview(message), false, JSON.stringify(message));
});

test('isChatEntry requires id, role, text and status', () => {
  assert.equal(isChatEntry(entry), true);
  for (const key of ['id', 'role', 'text', 'status'] as const) {
    const copy: Record<string, unknown> = { ...entry };
    delete copy[key];
    assert.equal(isChatEntry(copy), false, `without ${key}`);
  }
});

test('isWebviewToHost accepts every valid webview message', () => {
  for (const message of validWebview) assert.equal(isWebviewToHost(message), true, message.type);
});

test('isWebviewToHost rejects wrong types and missing fields', () => {
  const invalid: unknown[] = [
    null,
    undefined,
    'ready',
    [],
    {},
    { type: 'READY' },
    { type: 'openLink', url: 'https://example.com' },
    { type: 'send' },
    { type: 'send', text: 42 },
    { type: 'send', text: null },
    { type: 'send', text: ['a'] },
    { type: 'openChat', id: '../../etc/passwd' },
    { type: 'deleteChat', id: '' },
    { type: 'deleteChat', id: 'a'.repeat(65) },
    { type: 'editResend', id: 'u1' },
    { type: 'editResend', id: 'u1', text: 'x'.repeat(MAX_USER_TEXT + 1) },
    { type: 'codeAction', action: 'run', code: 'rm -rf /', language: 'sh' },
    { type: 'codeAction', action: 'copy', code: 'x' },
    { type: 'codeAction', action: 'newFile', code: 'x', language: '"><script>' },
    { type: 'openLink', href: 'x'.repeat(9000) },
    { type: 'openLink', href: 42 },
    { type: 'attach', kind: 'workspace' },
    { type: 'detach', id: 7 },
    { type: 'command', command: 'workbench.action.terminal.new' },
    { type: 'codeAction', action: 'toString', code: 'x', language: 'ts' },
    { type: 'codeAction', action: '__proto__', code: 'x', language: 'ts' },
    { type: 'copyReply', id: '../x' },
    { type: 'copyReply' },
    { type: 'switchModel', path: '' },
    { type: 'switchModel', path: 'x'.repeat(MAX_PATH_LENGTH + 1) },
    { type: 'switchModel', path: ['/a.gguf'] },
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
    { type: 'runCommand', command: 'headroom.stop' },
    { type: 'runCommand', command: 'headroom.start', args: ['x'] },
    { type: 'runCommand' },
  ];
  for (const message of invalid) assert.equal(isWebviewToHost(message), false, JSON.stringify(message));
});

test('isWebviewToHost rejects extra fields on every webview message', () => {
  for (const message of validWebview) {
    assert.equal(isWebviewToHost({ ...message, extra: true }), false, `${message.type} with an extra field`);
  }
  assert.equal(isWebviewToHost({ type: 'stop', id: 'a1' }), false);
  assert.equal(isWebviewToHost({ type: 'send', text: 'hi', backend: 'remote' }), false);
});

test('isHostToWebview checks the new snapshot fields, chats and context', () => {
  const base = { type: 'snapshot', entries: [], server, busy: false, chatId: 'c1', chats: [], context: noContext };
  assert.equal(isHostToWebview(base), true);
  for (const broken of [
    { ...base, chatId: undefined },
    { ...base, chatId: '../x' },
    { ...base, chats: [{ id: 'c1', title: 't', updatedAt: 'yesterday', messages: 1 }] },
    { ...base, context: { ...noContext, used: -1 } },
    { ...base, context: { ...noContext, omittedTurns: 1.5 } },
    { ...base, context: { ...noContext, pending: [{ id: 'p', kind: 'disk', label: 'x', tokens: 1 }] } },
    { ...base, entries: [{ ...entry, attachments: [{ kind: 'file', label: 'x', tokens: 1 }] }] },
    { type: 'chats', chatId: 'c1' },
    { type: 'context' },
  ]) {
    assert.equal(isHostToWebview(broken), false, JSON.stringify(broken));
  }
});

test('isWebviewToHost rejects text longer than MAX_USER_TEXT', () => {
  assert.equal(isWebviewToHost({ type: 'send', text: 'x'.repeat(MAX_USER_TEXT + 1) }), false);
});

test('CODE_ACTIONS: every toolbar action has a codicon and an accessible label', () => {
  for (const [action, { icon, label }] of Object.entries(CODE_ACTIONS)) {
    assert.match(icon, /^[a-z][a-z0-9-]*$/, `${action}'s icon is a codicon name`);
    assert.ok(label.length > 3, `${action} has a label`);
  }
});
