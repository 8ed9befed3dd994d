import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatStore } from '../../src/extension/chat/store';
import type { SavedChat } from '../../src/extension/chat/historyFormat';
import { writeFileAtomic } from '../../src/extension/chat/storeFiles';
import { ChatHistory } from '../../src/extension/chat/chatHistory';
import { Conversation } from '../../src/extension/chat/conversation';
import type { ChatBackend, Delta } from '../../src/extension/chat/types';
import { Emitter } from '../../src/extension/common/emitter';
import { nextEvent } from '../fixtures/events';
import { itemAt } from '../fixtures/itemAt';
import { savedChat as chat } from '../fixtures/savedChats';

const dir = () => mkdtempSync(join(tmpdir(), 'headroom-store-'));

/** The file the store writes for `chat` (history format 1). */
const fileOf = (c: SavedChat): string => JSON.stringify({ format: 1, ...c });

test('save, list (newest first), load, delete', async () => {
  const store = new ChatStore(dir());
  await store.save(chat('one', 10));
  await store.save(chat('two', 20));
  assert.deepEqual((await store.list()).map((c) => c.id), ['two', 'one']);
  assert.deepEqual(await store.load('one'), chat('one', 10));
  await store.delete('one');
  assert.deepEqual((await store.list()).map((c) => c.id), ['two']);
  assert.equal(await store.load('one'), undefined);
  assert.equal(await store.load('../etc/passwd'), undefined);
});

test('a crash between the write and the rename leaves the old file whole; the temp file is cleaned up', async () => {
  const folder = dir();
  await new ChatStore(folder).save(chat('c', 1, 'old text'));
  const crashing = new ChatStore(folder, {
    hooks: {
      beforeRename: () => {
        throw new Error('simulated crash');
      },
    },
  });
  await assert.rejects(crashing.save(chat('c', 2, 'new text')), /simulated crash/);
  // A real crash leaves its temp file behind: simulate one too.
  writeFileSync(join(folder, 'c.json.tmp-deadbeef'), '{"format":1,"id":"c","tit');
  const fresh = new ChatStore(folder);
  assert.equal((await fresh.load('c'))?.title, 'old text');
  assert.deepEqual((await fresh.list()).map((c) => c.title), ['old text']);
  assert.ok(!readdirSync(folder).some((n) => n.includes('.tmp-')), readdirSync(folder).join(','));
});

test('writeFileAtomic replaces the whole file', async () => {
  const path = join(dir(), 'f.json');
  await writeFileAtomic(path, 'a'.repeat(10_000));
  await writeFileAtomic(path, 'b');
  assert.equal(readFileSync(path, 'utf8'), 'b');
});

test('a corrupt file is set aside as *.corrupt and the rest still load', async () => {
  const folder = dir();
  const store = new ChatStore(folder);
  await store.save(chat('good', 1));
  await store.save(chat('bad', 2));
  writeFileSync(join(folder, 'bad.json'), '{"format":1,"id":"bad","entries":[{"trunc');
  writeFileSync(join(folder, 'wrongshape.json'), JSON.stringify({ format: 1, id: 'wrongshape', entries: 'x' }));
  const warnings: string[] = [];
  const fresh = new ChatStore(folder);
  fresh.onProblem((m) => warnings.push(m));
  const ids = (await fresh.rebuildIndex()).map((c) => c.id);
  assert.deepEqual(ids, ['good']);
  assert.equal(readFileSync(join(folder, 'bad.json.corrupt'), 'utf8'), '{"format":1,"id":"bad","entries":[{"trunc', 'kept as it was');
  assert.ok(existsSync(join(folder, 'wrongshape.json.corrupt')));
  assert.deepEqual(warnings.sort(), [
    `Chat history: ${join(folder, 'bad.json')} could not be read as a chat; it was set aside as ${join(folder, 'bad.json.corrupt')}.`,
    `Chat history: ${join(folder, 'wrongshape.json')} could not be read as a chat; it was set aside as ${join(folder, 'wrongshape.json.corrupt')}.`,
  ]);
  assert.equal((await fresh.load('good'))?.id, 'good');
});

test('the index is rebuilt from the files when it is missing, corrupt or out of date', async () => {
  const folder = dir();
  const store = new ChatStore(folder);
  await store.save(chat('a', 1));
  await store.save(chat('b', 2));
  writeFileSync(join(folder, 'index.json'), 'not json');
  assert.deepEqual((await new ChatStore(folder).list()).map((c) => c.id), ['b', 'a']);
  // A file the index does not know (e.g. copied in, or the index write was lost in a crash).
  writeFileSync(join(folder, 'c.json'), fileOf(chat('c', 3)));
  assert.deepEqual((await new ChatStore(folder).list()).map((c) => c.id), ['c', 'b', 'a']);
});

test("a reply still 'streaming' on disk comes back 'interrupted' with its partial text", async () => {
  const folder = dir();
  const stored = chat('s', 1);
  stored.entries[1] = { id: 'a', role: 'assistant', text: 'partial ans', status: 'streaming' };
  writeFileSync(join(folder, 's.json'), fileOf(stored));
  const loaded = await new ChatStore(folder).load('s');
  assert.deepEqual(loaded?.entries.map((e) => [e.text, e.status]), [
    ['question', 'complete'],
    ['partial ans', 'interrupted'],
  ]);
});

/** Streams chunks until the gate opens, then ends. */
function gatedBackend(chunks: string[], gate: Promise<void>): ChatBackend {
  return {
    async *stream(): AsyncIterable<Delta> {
      for (const text of chunks) yield { kind: 'text', text };
      await gate;
    },
  };
}

/** A ChatStore that says when a save is on disk. */
class WatchedStore extends ChatStore {
  private readonly saved = new Emitter<SavedChat>();
  readonly onDidSave = this.saved.event;

  override async save(chat: SavedChat): Promise<void> {
    await super.save(chat);
    this.saved.fire(chat);
  }
}

test('killed mid-reply: the question and the partial answer are on disk, and load as interrupted', async () => {
  const folder = dir();
  const conversation = new Conversation();
  const store = new WatchedStore(folder);
  const history = new ChatHistory(store, conversation, { flushIntervalMs: 20 });
  await history.init();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const streamedTextSaved = nextEvent(store.onDidSave, 'the streamed text to be saved', (chat) => chat.entries[1]?.text === 'Because of Rayleigh');
  const pending = conversation.send('why is the sky blue?', gatedBackend(['Because ', 'of Rayleigh'], gate));
  await streamedTextSaved;
  // "Kill" here: read the disk as a fresh extension host would, without any further flush.
  const afterCrash = new ChatStore(folder);
  const summary = itemAt(await afterCrash.list(), 0);
  assert.equal(summary.title, 'why is the sky blue?');
  const loaded = await afterCrash.load(summary.id);
  assert.deepEqual(loaded?.entries.map((e) => [e.role, e.text, e.status]), [
    ['user', 'why is the sky blue?', 'complete'],
    ['assistant', 'Because of Rayleigh', 'interrupted'],
  ]);
  release();
  await pending;
  history.dispose();
});

test('ChatHistory reopens the latest chat, switches, starts new ones and deletes', async () => {
  const folder = dir();
  const store = new ChatStore(folder);
  await store.save(chat('older', 1, 'first chat'));
  await store.save(chat('newer', 2, 'second chat'));
  const conversation = new Conversation();
  const history = new ChatHistory(store, conversation);
  await history.init();
  assert.equal(conversation.id, 'newer');
  assert.equal(await history.open('older'), true);
  assert.equal(itemAt(conversation.entries, 0).text, 'first chat');
  await history.newChat();
  assert.equal(conversation.entries.length, 0);
  assert.equal(history.chats.length, 2, 'an empty chat is not saved');
  await history.delete('older');
  assert.deepEqual(history.chats.map((c) => c.id), ['newer']);
  assert.equal(await history.open('older'), false);
  history.dispose();
});
