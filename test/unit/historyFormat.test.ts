import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStore, NewerHistoryError } from '../../src/extension/chat/store';
import { decodeChatFile, encodeChatFile, HISTORY_FORMAT, type SavedChat } from '../../src/extension/chat/historyFormat';
import type { ChatEntry } from '../../src/extension/chat/entries';
import { itemAt } from '../fixtures/itemAt';

const dir = () => mkdtempSync(join(tmpdir(), 'headroom-format-'));

const ID = '0b7e6c2a-5f0e-4a57-9a2e-3d1c8f7e9b10';

/**
 * A conversation file exactly as ChatStore wrote it before the format had its own module (checked
 * against that code: it accepts this file and saves it back byte for byte), with every kind of entry.
 */
const TODAYS_FILE =
  `{"format":1,"id":"${ID}","title":"Why does this loop never end?","createdAt":1718000000000,"updatedAt":1718000042000,"entries":[` +
  `{"id":"e1","role":"user","text":"Why does this loop never end?","status":"complete","attachments":[{"kind":"selection","label":"main.ts:10-12","text":"while (i < 10) {\\n  log(i);\\n}","tokens":14},{"kind":"diagnostics","label":"Problems in main.ts (1)","text":"main.ts:11 'i' is never reassigned","tokens":null}]},` +
  `{"id":"e2","role":"assistant","text":"\`i\` is never incremented.","status":"complete","stats":{"tokens":7,"tokensPerSecond":41.5,"timeToFirstTokenMs":180}},` +
  `{"id":"e3","role":"user","text":"And now?","status":"complete"},` +
  `{"id":"e4","role":"assistant","text":"","status":"error","error":"fetch failed"},` +
  `{"id":"e5","role":"user","text":"Again","status":"complete"},` +
  `{"id":"e6","role":"assistant","text":"Because","status":"stopped","stats":{"tokens":1,"tokensPerSecond":0,"timeToFirstTokenMs":95}},` +
  `{"id":"e7","role":"user","text":"Once more","status":"complete"},` +
  `{"id":"e8","role":"assistant","text":"The loop","status":"streaming"}]}`;

const TODAYS_INDEX = `{"format":1,"chats":[{"id":"${ID}","title":"Why does this loop never end?","updatedAt":1718000042000,"messages":8}]}`;

test("a history folder as today's Headroom writes it is read whole", async () => {
  const folder = dir();
  writeFileSync(join(folder, `${ID}.json`), TODAYS_FILE);
  writeFileSync(join(folder, 'index.json'), TODAYS_INDEX);
  const warnings: string[] = [];
  const store = new ChatStore(folder);
  store.onProblem((m) => warnings.push(m));
  assert.deepEqual(await store.list(), [{ id: ID, title: 'Why does this loop never end?', updatedAt: 1718000042000, messages: 8 }]);
  const chat = await store.load(ID);
  assert.deepEqual(chat, {
    id: ID,
    title: 'Why does this loop never end?',
    createdAt: 1718000000000,
    updatedAt: 1718000042000,
    entries: [
      {
        id: 'e1',
        role: 'user',
        text: 'Why does this loop never end?',
        status: 'complete',
        attachments: [
          { kind: 'selection', label: 'main.ts:10-12', text: 'while (i < 10) {\n  log(i);\n}', tokens: 14 },
          { kind: 'diagnostics', label: 'Problems in main.ts (1)', text: "main.ts:11 'i' is never reassigned", tokens: null },
        ],
      },
      { id: 'e2', role: 'assistant', text: '`i` is never incremented.', status: 'complete', stats: { tokens: 7, tokensPerSecond: 41.5, timeToFirstTokenMs: 180 } },
      { id: 'e3', role: 'user', text: 'And now?', status: 'complete' },
      { id: 'e4', role: 'assistant', text: '', status: 'error', error: 'fetch failed' },
      { id: 'e5', role: 'user', text: 'Again', status: 'complete' },
      { id: 'e6', role: 'assistant', text: 'Because', status: 'stopped', stats: { tokens: 1, tokensPerSecond: 0, timeToFirstTokenMs: 95 } },
      { id: 'e7', role: 'user', text: 'Once more', status: 'complete' },
      { id: 'e8', role: 'assistant', text: 'The loop', status: 'interrupted' },
    ],
  });
  assert.deepEqual(warnings, []);
  assert.deepEqual(readdirSync(folder).sort(), [`${ID}.json`, 'index.json']);
});

test('format 1 is unchanged: decoding and encoding a file of today gives back the same bytes', () => {
  const contents = decodeChatFile(TODAYS_FILE);
  assert.equal(contents.kind, 'chat');
  assert.equal(contents.kind === 'chat' && encodeChatFile(contents.chat), TODAYS_FILE);
});

test('a saved file carries the format number and only the fields of that format', async () => {
  const folder = dir();
  // An entry with a field format 1 does not have, as a later ChatEntry might: it must not reach the file.
  const entry = { id: 'u', role: 'user' as const, text: 'hello', status: 'complete' as const, draft: 'not in format 1' };
  const entries: ChatEntry[] = [entry];
  const chat: SavedChat = { id: 'fresh', title: 'hello', createdAt: 1, updatedAt: 2, entries };
  await new ChatStore(folder).save(chat);
  const written: unknown = JSON.parse(readFileSync(join(folder, 'fresh.json'), 'utf8'));
  assert.equal(HISTORY_FORMAT, 1);
  assert.deepEqual(written, {
    format: HISTORY_FORMAT,
    id: 'fresh',
    title: 'hello',
    createdAt: 1,
    updatedAt: 2,
    entries: [{ id: 'u', role: 'user', text: 'hello', status: 'complete' }],
  });
  const index: unknown = JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8'));
  assert.deepEqual(index, { format: HISTORY_FORMAT, chats: [{ id: 'fresh', title: 'hello', updatedAt: 2, messages: 1 }] });
});

test('a file from a newer Headroom is reported and left untouched: not listed, renamed, rewritten or deleted', async () => {
  const folder = dir();
  // Format 2 in a shape format 1 cannot read: it must not be taken for a corrupt file.
  const future = JSON.stringify({ format: 2, id: 'future', title: 'from tomorrow', turns: [{ speaker: 'user', parts: ['hi'] }] });
  const futurePath = join(folder, 'future.json');
  writeFileSync(futurePath, future);
  const today = { id: 'today', title: 'q', createdAt: 1, updatedAt: 5, entries: [{ id: 'u', role: 'user', text: 'q', status: 'complete' }] };
  writeFileSync(join(folder, 'today.json'), JSON.stringify({ format: 1, ...today }));
  const warnings: string[] = [];
  const store = new ChatStore(folder);
  store.onProblem((m) => warnings.push(m));

  assert.deepEqual((await store.list()).map((c) => c.id), ['today']);
  assert.equal(warnings.length, 1);
  const warning = itemAt(warnings, 0);
  assert.match(warning, /future\.json was written by a newer version of Headroom \(history format 2; this one reads up to 1\)/);
  assert.match(warning, /left untouched/);

  assert.equal(await store.load('future'), undefined);
  const chat: SavedChat = { id: 'future', title: 'mine', createdAt: 1, updatedAt: 9, entries: [] };
  await assert.rejects(store.save(chat), (err: unknown) => err instanceof NewerHistoryError && err.format === 2 && err.file === 'future.json');
  await assert.rejects(store.delete('future'), NewerHistoryError);
  assert.deepEqual((await store.rebuildIndex()).map((c) => c.id), ['today']);
  // The store still works for everything else.
  await store.save({ ...chat, id: 'other' });

  assert.equal(readFileSync(futurePath, 'utf8'), future);
  assert.deepEqual(readdirSync(folder).sort(), ['future.json', 'index.json', 'other.json', 'today.json']);
  assert.ok(warnings.every((w) => /newer version/.test(w)), warnings.join('\n'));
});

test('a format number that is not a whole number above 0 is a corrupt file, not a newer one', () => {
  const body = { id: 'x', title: 't', createdAt: 1, updatedAt: 1, entries: [] };
  for (const format of [0, -2, 1.5, '2', null, undefined]) {
    assert.deepEqual(decodeChatFile(JSON.stringify({ format, ...body })), { kind: 'unreadable' }, String(format));
  }
  assert.deepEqual(decodeChatFile(JSON.stringify({ format: 3 })), { kind: 'newer', format: 3 });
  assert.equal(decodeChatFile(JSON.stringify({ format: 1, ...body })).kind, 'chat');
  assert.equal(decodeChatFile('[2]').kind, 'unreadable');
});

test("an attachment's origin (where Apply finds its text again) is kept within format 1; a malformed one makes the file unreadable", () => {
  const origin = { uri: 'file:///w/main.ts', start: { line: 9, character: 2 }, end: { line: 11, character: 1 } };
  const chat: SavedChat = {
    id: ID,
    title: 't',
    createdAt: 1,
    updatedAt: 2,
    entries: [{ id: 'u', role: 'user', text: 'q', status: 'complete', attachments: [{ kind: 'selection', label: 'main.ts:10-12', text: 'x', tokens: 1, origin }] }],
  };
  const text = encodeChatFile(chat);
  const decoded = decodeChatFile(text);
  assert.equal(decoded.kind, 'chat');
  assert.deepEqual(decoded.kind === 'chat' && decoded.chat.entries[0]?.attachments?.[0]?.origin, origin);
  assert.equal((JSON.parse(text) as { format: number }).format, 1);
  const broken = text.replace('"line":9', '"line":-1');
  assert.notEqual(broken, text);
  assert.deepEqual(decodeChatFile(broken), { kind: 'unreadable' });
});
