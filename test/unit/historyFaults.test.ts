// Chat history off the happy path, on the real file system: a folder that cannot be written, a file too big to
// read, a file that cannot be set aside. Every fault is told (ChatStore/ChatHistory onProblem) and nothing already
// saved is changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatHistory } from '../../src/extension/chat/chatHistory';
import { Conversation } from '../../src/extension/chat/conversation';
import { MAX_CHAT_FILE_BYTES } from '../../src/extension/chat/historyFormat';
import { ChatStore } from '../../src/extension/chat/store';
import type { ChatBackend, Delta } from '../../src/extension/chat/types';
import { itemAt } from '../fixtures/itemAt';
import { savedChat as chat } from '../fixtures/savedChats';
import { makeReadOnly } from './readOnlyFolder';

const dir = (): string => mkdtempSync(join(tmpdir(), 'headroom-faults-'));

const replying = (text: string): ChatBackend => ({
  async *stream(): AsyncIterable<Delta> {
    yield { kind: 'text', text };
  },
});

/** Every file in `folder` with its bytes. */
const snapshot = (folder: string): Map<string, string> => new Map(readdirSync(folder).map((name) => [name, readFileSync(join(folder, name), 'latin1')]));

/** Bytes this process has read through read(2) and friends so far (Linux). */
function bytesRead(): number | undefined {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

test('a read-only history folder: every chat is listed and opens; saving fails, told once per streak of failures; nothing on disk changes', async (t) => {
  const folder = dir();
  const setUp = new ChatStore(folder);
  await setUp.save(chat('older', 1, 'first chat'));
  await setUp.save(chat('newer', 2, 'second chat'));
  // The index must be rebuilt on listing (and cannot be written back), and a corrupt file cannot be set aside.
  rmSync(join(folder, 'index.json'));
  writeFileSync(join(folder, 'broken.json'), '{"format":1,"id":"broken","entr');
  const readOnly = makeReadOnly(folder);
  if (typeof readOnly === 'string') return t.skip(readOnly);
  t.diagnostic(`read-only by ${readOnly.how}`);
  try {
    const before = snapshot(folder);
    const store = new ChatStore(folder);
    const conversation = new Conversation();
    const history = new ChatHistory(store, conversation);
    const problems: string[] = [];
    history.onProblem((m) => problems.push(m));

    await history.init();
    assert.deepEqual(history.chats.map((c) => c.id), ['newer', 'older'], problems.join('\n'));
    assert.equal(conversation.id, 'newer', 'the latest chat is reopened');
    assert.equal(await history.open('older'), true);
    assert.equal(itemAt(conversation.entries, 0).text, 'first chat');
    const notSaving = problems.filter((p) => !/saving/.test(p));
    assert.deepEqual(notSaving.slice(1), [], problems.join('\n'));
    const setAside = itemAt(notSaving, 0);
    assert.match(setAside, /broken\.json could not be read as a chat, and setting it aside failed \(.+\); it is left as it is and not listed\./);
    assert.doesNotMatch(setAside, /was set aside/, 'it does not claim a move that did not happen');

    // Opening a chat writes it back (its updatedAt), so saving has failed already; more failures are not told again.
    await history.newChat();
    await conversation.send('a question while the folder is read-only', replying('an answer'));
    await history.saveNow();
    await history.saveNow();
    const saveFailures = problems.filter((p) => /saving/.test(p));
    assert.equal(saveFailures.length, 1, `several saves failed, told once: ${problems.join('\n')}`);
    assert.match(itemAt(saveFailures, 0), /^Chat history: saving "second chat" failed \(.+\)\. Until a save works, this chat is only in memory/);
    assert.deepEqual(snapshot(folder), before, 'nothing on disk changed, no temp file left');

    // A save that works ends the streak; the next failure is told again.
    readOnly.undo();
    await history.saveNow();
    assert.equal(problems.filter((p) => /saving/.test(p)).length, 1);
    assert.ok(existsSync(join(folder, `${conversation.id}.json`)));
    const again = makeReadOnly(folder);
    assert.ok(typeof again !== 'string', again as string);
    try {
      await conversation.send('and another', replying('reply'));
      await history.saveNow();
      const told = problems.filter((p) => /saving/.test(p));
      assert.equal(told.length, 2, problems.join('\n'));
      assert.match(itemAt(told, 1), /^Chat history: saving "a question while the folder is read-only" failed \((EPERM|EACCES)/);
    } finally {
      again.undo();
    }
    history.dispose();
  } finally {
    readOnly.undo();
  }
});

test('a 640 MiB chat file is reported by name and size, not read, and left as it is; the other chats still list', async () => {
  const folder = dir();
  const store = new ChatStore(folder);
  const problems: string[] = [];
  store.onProblem((m) => problems.push(m));
  await store.save(chat('small', 1));
  const big = join(folder, 'huge.json');
  writeFileSync(big, '');
  truncateSync(big, 640 * 1024 * 1024); // sparse: no disk used
  const fresh = new ChatStore(folder);
  fresh.onProblem((m) => problems.push(m));
  const readBefore = bytesRead();
  assert.deepEqual((await fresh.list()).map((c) => c.id), ['small']);
  assert.equal(await fresh.load('huge'), undefined);
  const read = readBefore === undefined ? undefined : (bytesRead() ?? 0) - readBefore;
  assert.deepEqual(problems, [`Chat history: ${big} is 640 MiB, more than the 64 MiB a chat file may have; it is left as it is and not listed.`]);
  if (read !== undefined) assert.ok(read < 1024 * 1024, `the big file was not read (${read} bytes read in all)`);
  assert.equal(statSync(big).size, 640 * 1024 * 1024);
  assert.deepEqual(readdirSync(folder).sort(), ['huge.json', 'index.json', 'small.json']);
  assert.deepEqual((await fresh.list()).map((c) => c.id), ['small']);
  assert.equal(problems.length, 1, 'told once');
});

test('a chat too big to read back is not written: the save fails saying so, and its last saved state is kept', async () => {
  const folder = dir();
  const store = new ChatStore(folder);
  await store.save(chat('growing', 1, 'small so far'));
  const saved = readFileSync(join(folder, 'growing.json'), 'utf8');
  const huge = chat('growing', 2, 'small so far');
  huge.entries[1] = { id: 'a', role: 'assistant', text: 'x'.repeat(MAX_CHAT_FILE_BYTES), status: 'complete' };
  await assert.rejects(store.save(huge), /"small so far" would take 64 MiB, more than the 64 MiB a chat file may have/);
  assert.equal(readFileSync(join(folder, 'growing.json'), 'utf8'), saved);
});
