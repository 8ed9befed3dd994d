import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatViewController, NOT_RUNNING_ERROR, type ChatLog, type ChatViewPort } from '../../src/extension/present/chatViewController';
import { Conversation } from '../../src/extension/chat/conversation';
import { ContextTracker } from '../../src/extension/chat/contextTracker';
import { Emitter } from '../../src/extension/common/emitter';
import { HeadroomError } from '../../src/extension/common/errors';
import type { ChatBackend, Delta } from '../../src/extension/chat/types';
import type { ChatEntry, HostToWebview, ModelChoice, ServerView } from '../../src/webview/protocol/chat';
import { nextEvent } from '../fixtures/events';
import { itemAt } from '../fixtures/itemAt';

/** A fake backend: yields the given chunks, optionally waiting on a gate before the last one. */
function fakeBackend(chunks: string[], gate?: Promise<void>): ChatBackend {
  return {
    async *stream(): AsyncIterable<Delta> {
      for (const [i, text] of chunks.entries()) {
        if (gate && i === chunks.length - 1) await gate;
        yield { kind: 'text', text };
      }
    },
  };
}

class FakePort implements ChatViewPort {
  visible = true;
  readonly posted: HostToWebview[] = [];
  post(message: HostToWebview): void {
    this.posted.push(structuredClone(message));
  }
}

class FakeLog implements ChatLog {
  readonly warnings: string[] = [];
  debug(): void {}
  warn(message: string): void {
    this.warnings.push(message);
  }
  error(message: string | Error): void {
    this.warnings.push(String(message));
  }
}

/** Replays posted messages the way the webview does, to check it ends up with the host's transcript. */
function mirror(messages: HostToWebview[]): ChatEntry[] {
  let entries: ChatEntry[] = [];
  for (const m of messages) {
    if (m.type === 'snapshot') entries = structuredClone(m.entries);
    else if (m.type === 'entryAdded') entries.push(structuredClone(m.entry));
    else if (m.type === 'entryDelta') {
      const e = entries.find((x) => x.id === m.id);
      if (e) e.text += m.text;
    } else if (m.type === 'entryDone') {
      const e = entries.find((x) => x.id === m.id);
      if (e) e.status = m.status;
    }
  }
  return entries;
}

function setup(backend?: ChatBackend, startForSend?: () => Promise<ChatBackend>) {
  const conversation = new Conversation();
  const server = new Emitter<ServerView>();
  let serverView: ServerView = { kind: 'stopped', label: 'stopped' };
  let started = 0;
  const log = new FakeLog();
  const controller = new ChatViewController({
    conversation,
    getServerView: () => serverView,
    onDidChangeServerView: server.event,
    getBackend: () => backend,
    startServer: () => started++,
    startForSend,
    log,
  });
  const port = new FakePort();
  controller.attach(port);
  const setServer = (view: ServerView) => {
    serverView = view;
    server.fire(view);
  };
  return { conversation, controller, port, log, setServer, started: () => started };
}

/** Resolves when the conversation's current or next reply has ended (its last event); subscribe before sending. */
const replyEnded = (conversation: Conversation) => nextEvent(conversation.onEvent, 'the reply to end', (e) => e.type === 'busy' && !e.busy);

test("'ready' gets a full snapshot", () => {
  const { controller, port, conversation } = setup();
  controller.receive({ type: 'ready' });
  assert.deepEqual(port.posted, [
    {
      type: 'snapshot',
      entries: [],
      server: { kind: 'stopped', label: 'stopped' },
      busy: false,
      chatId: conversation.id,
      chats: [],
      context: { pending: [], used: null, limit: null, omittedTurns: 0 },
    },
  ]);
});

test('invalid messages from the webview are dropped and logged', () => {
  const { controller, port, log, started } = setup();
  controller.receive({ type: 'startServer', extra: 1 });
  controller.receive('ready');
  controller.receive({ type: 'openFile', path: '/etc/passwd' });
  assert.equal(port.posted.length, 0);
  assert.equal(started(), 0);
  assert.equal(log.warnings.length, 3);
});

test('a send with no model running keeps the text and answers with an error entry', () => {
  const { controller, conversation, port } = setup(undefined);
  controller.receive({ type: 'send', text: 'are you there?' });
  assert.deepEqual(
    conversation.entries.map((e) => [e.role, e.text, e.status, e.error]),
    [
      ['user', 'are you there?', 'complete', undefined],
      ['assistant', '', 'error', NOT_RUNNING_ERROR],
    ],
  );
  assert.deepEqual(port.posted.map((m) => m.type), ['entryAdded', 'entryAdded']);
});

test('a send with no model running starts it: the message waits as a streaming reply, then is answered once the model is ready', async () => {
  let ready: (backend: ChatBackend) => void = () => undefined;
  let starts = 0;
  const { controller, conversation } = setup(undefined, () => {
    starts++;
    return new Promise((resolve) => (ready = resolve));
  });
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'first message' });
  await new Promise((r) => setImmediate(r));
  assert.equal(starts, 1);
  assert.deepEqual(
    conversation.entries.map((e) => [e.role, e.text, e.status]),
    [
      ['user', 'first message', 'complete'],
      ['assistant', '', 'streaming'],
    ],
    'pending while the model starts',
  );
  ready(fakeBackend(['Hello', ' there']));
  await ended;
  assert.deepEqual(conversation.entries.map((e) => [e.role, e.text, e.status]), [
    ['user', 'first message', 'complete'],
    ['assistant', 'Hello there', 'complete'],
  ]);
});

test('a failed start ends the waiting reply with its error and hint; the message stays and Regenerate sends it again', async () => {
  const backends: (ChatBackend | undefined)[] = [];
  const { controller, conversation } = setup(undefined, () => {
    const b = backends.shift();
    return b ? Promise.resolve(b) : Promise.reject(new HeadroomError('llama-server could not load the model.', 'Pick a smaller quantization.'));
  });
  let ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'keep me' });
  await ended;
  assert.deepEqual(conversation.entries.map((e) => [e.role, e.text, e.status, e.error]), [
    ['user', 'keep me', 'complete', undefined],
    ['assistant', '', 'error', 'llama-server could not load the model. Pick a smaller quantization.'],
  ]);
  backends.push(fakeBackend(['ok']));
  ended = replyEnded(conversation);
  controller.receive({ type: 'regenerate' });
  await ended;
  assert.deepEqual(conversation.entries.map((e) => [e.role, e.text, e.status]), [
    ['user', 'keep me', 'complete'],
    ['assistant', 'ok', 'complete'],
  ]);
});

test('Stop while the model starts ends the waiting reply as stopped', async () => {
  const { controller, conversation } = setup(undefined, () => new Promise<ChatBackend>(() => undefined));
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'never mind' });
  await new Promise((r) => setImmediate(r));
  controller.receive({ type: 'stop' });
  await ended;
  assert.deepEqual(conversation.entries.map((e) => [e.role, e.text, e.status]), [
    ['user', 'never mind', 'complete'],
    ['assistant', '', 'stopped'],
  ]);
});

test('a streamed reply from a fake backend reaches the webview coalesced, with text before entryDone', async () => {
  const chunks = Array.from({ length: 200 }, (_, i) => `t${i} `);
  const { controller, conversation, port } = setup(fakeBackend(chunks));
  controller.receive({ type: 'ready' });
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'go' });
  await ended;
  const deltas = port.posted.filter((m) => m.type === 'entryDelta');
  assert.ok(deltas.length >= 1 && deltas.length < 20, `${deltas.length} delta messages for 200 chunks`);
  const doneAt = port.posted.findIndex((m) => m.type === 'entryDone');
  assert.ok(port.posted.slice(doneAt).every((m) => m.type !== 'entryDelta'), 'no delta after entryDone');
  const summary = (entries: readonly ChatEntry[]) => entries.map((e) => [e.role, e.text, e.status]);
  assert.deepEqual(summary(mirror(port.posted)), summary(conversation.entries));
  assert.equal(itemAt(conversation.entries, 1).text, chunks.join(''));
});

test('a snapshot mid-stream does not duplicate text that was waiting to be sent', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { controller, conversation, port } = setup(fakeBackend(['a', 'b', 'c', 'd', 'end'], gate));
  controller.receive({ type: 'ready' });
  const atGate = nextEvent(conversation.onEvent, 'the text before the gate', (e) => e.type === 'entryDelta' && e.text === 'd');
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'go' });
  await atGate;
  controller.receive({ type: 'ready' }); // e.g. the view was reloaded
  release();
  await ended;
  assert.equal(itemAt(conversation.entries, 1).text, 'abcdend');
  assert.deepEqual(mirror(port.posted).map((e) => e.text), ['go', 'abcdend']);
});

test('a hidden view gets nothing; showing it again sends a snapshot', async () => {
  const { controller, conversation, port, setServer } = setup(fakeBackend(['x', 'y']));
  port.visible = false;
  controller.visibilityChanged();
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'while hidden' });
  setServer({ kind: 'ready', label: 'ready' });
  await ended;
  assert.equal(port.posted.length, 0);
  port.visible = true;
  controller.visibilityChanged();
  assert.equal(port.posted.length, 1);
  const snapshot = itemAt(port.posted, 0);
  assert.ok(snapshot.type === 'snapshot');
  assert.deepEqual(snapshot.entries.map((e) => e.text), ['while hidden', 'xy']);
  assert.deepEqual(snapshot.server, { kind: 'ready', label: 'ready' });
  assert.equal(conversation.entries.length, 2);
});

test("server changes are forwarded; 'startServer' and 'stop' reach their targets", () => {
  const { controller, port, setServer, started } = setup();
  setServer({ kind: 'loading', label: 'loading 40%' });
  controller.receive({ type: 'startServer' });
  controller.receive({ type: 'stop' });
  assert.deepEqual(port.posted, [{ type: 'server', server: { kind: 'loading', label: 'loading 40%' } }]);
  assert.equal(started(), 1);
});

test("'newChat' clears the conversation and sends an empty snapshot", async () => {
  const { controller, conversation, port } = setup(fakeBackend(['hi']));
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'hello' });
  await ended;
  port.posted.length = 0;
  controller.receive({ type: 'newChat' });
  assert.equal(conversation.entries.length, 0);
  assert.deepEqual(port.posted, [
    {
      type: 'snapshot',
      entries: [],
      server: { kind: 'stopped', label: 'stopped' },
      busy: false,
      chatId: conversation.id,
      chats: [],
      context: { pending: [], used: null, limit: null, omittedTurns: 0 },
    },
  ]);
});

test('a second send while busy is refused without losing the first reply', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { controller, conversation, log } = setup(fakeBackend(['one', 'two'], gate));
  const ended = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'first' });
  controller.receive({ type: 'send', text: 'second' });
  release();
  await ended;
  assert.deepEqual(conversation.entries.map((e) => e.text), ['first', 'onetwo']);
  assert.equal(log.warnings.length, 1);
});

test('after dispose nothing is posted', async () => {
  const { controller, conversation, port, setServer } = setup();
  controller.dispose();
  setServer({ kind: 'ready', label: 'ready' });
  conversation.addUnsent('x', 'y');
  assert.equal(port.posted.length, 0);
});

test('links: only http(s) reach the host actions; code actions pass through; deletes need confirmation', async () => {
  const conversation = new Conversation();
  const server = new Emitter<ServerView>();
  const log = new FakeLog();
  const opened: string[] = [];
  const code: string[] = [];
  const codeActions = new Emitter<string>();
  const controller = new ChatViewController({
    conversation,
    getServerView: () => ({ kind: 'stopped', label: 'stopped' }),
    onDidChangeServerView: server.event,
    getBackend: () => undefined,
    startServer: () => undefined,
    log,
    actions: {
      codeAction: async (action, text, language) => {
        code.push(`${action}:${language}:${text}`);
        codeActions.fire(action);
      },
      openLink: async (url) => void opened.push(url),
      confirmDelete: async () => false,
    },
  });
  controller.attach(new FakePort());
  // The messages are handled in order, so once the last valid one (the newFile action) is through, all are.
  const lastHandled = nextEvent(codeActions.event, 'the newFile code action', (action) => action === 'newFile');
  for (const href of ['javascript:alert(1)', 'command:workbench.action.reloadWindow', 'vscode://x', 'file:///etc/passwd', 'https://example.com/a b']) {
    controller.receive({ type: 'openLink', href });
  }
  controller.receive({ type: 'codeAction', action: 'newFile', code: 'print(1)', language: 'py' });
  controller.receive({ type: 'codeAction', action: 'exec', code: 'rm -rf /', language: 'sh' });
  await lastHandled;
  assert.deepEqual(opened, ['https://example.com/a%20b']);
  assert.deepEqual(code, ['newFile:py:print(1)']);
  assert.equal(log.warnings.filter((w) => /not http/.test(w)).length, 4);
  assert.equal(log.warnings.filter((w) => /dropped an invalid/.test(w)).length, 1);
});

test('regenerate streams a new reply for the last question', async () => {
  const { controller, conversation, port } = setup(fakeBackend(['new ', 'answer']));
  controller.receive({ type: 'ready' });
  const answered = replyEnded(conversation);
  controller.receive({ type: 'send', text: 'q' });
  await answered;
  const regenerated = replyEnded(conversation);
  controller.receive({ type: 'regenerate' });
  await regenerated;
  assert.deepEqual(conversation.entries.map((e) => e.text), ['q', 'new answer']);
  assert.deepEqual(mirror(port.posted).map((e) => e.text), ['q', 'new answer']);
});

test('chips reach the view without their text; the message they go with carries it', async () => {
  const conversation = new Conversation();
  const tracker = new ContextTracker({
    source: { collect: async (kind) => ({ label: `${kind} of main.ts`, text: 'const secret = 1;' }) },
    getTokenCounter: () => undefined,
    getContextSize: () => undefined,
    getHistory: () => conversation.history(),
    log: new FakeLog(),
  });
  const controller = new ChatViewController({
    conversation,
    getServerView: () => ({ kind: 'ready', label: 'ready' }),
    onDidChangeServerView: new Emitter<ServerView>().event,
    getBackend: () => fakeBackend(['ok']),
    startServer: () => undefined,
    log: new FakeLog(),
    context: tracker,
  });
  const port = new FakePort();
  controller.attach(port);
  const chipShown = nextEvent(tracker.onDidChange, 'the chip', (state) => state.pending.length > 0);
  controller.receive({ type: 'attach', kind: 'selection' });
  await chipShown;
  const chip = { kind: 'selection', label: 'selection of main.ts', tokens: null };
  const context = port.posted.find((m) => m.type === 'context');
  assert.ok(context?.type === 'context');
  assert.equal(context.context.pending.length, 1);
  const { id, ...shown } = itemAt(context.context.pending, 0);
  assert.ok(id);
  assert.deepEqual(shown, chip, 'no text in the view');
  controller.receive({ type: 'ready' });
  const snapshot = port.posted.at(-1);
  assert.ok(snapshot?.type === 'snapshot');
  assert.deepEqual(snapshot.context.pending, [{ id, ...chip }]);

  const replied = nextEvent(conversation.onEvent, 'the reply', (e) => e.type === 'entryDone');
  controller.receive({ type: 'send', text: 'what is this?' });
  await replied;
  assert.deepEqual(itemAt(conversation.entries, 0).attachments, [{ ...chip, text: 'const secret = 1;' }]);
  assert.deepEqual(tracker.state.pending, []);
  controller.dispose();
  tracker.dispose();
});

test("Apply carries where the block came from: the reply's fence and the question's attachments", async () => {
  const conversation = new Conversation();
  const attachment = { kind: 'selection' as const, label: 'main.ts:1-1', text: 'let a = 1;', tokens: 4, origin: { uri: 'file:///w/main.ts', start: { line: 0, character: 0 }, end: { line: 0, character: 10 } } };
  conversation.load({
    id: 'c1',
    createdAt: 1,
    entries: [
      { id: 'u', role: 'user', text: 'Make it 2', status: 'complete', attachments: [attachment] },
      { id: 'a', role: 'assistant', text: '```ts main.ts\nlet a = 2;\n```', status: 'complete' },
    ],
  });
  const seen = new Emitter<unknown[]>();
  const controller = new ChatViewController({
    conversation,
    getServerView: () => ({ kind: 'stopped', label: 'stopped' }),
    onDidChangeServerView: new Emitter<ServerView>().event,
    getBackend: () => undefined,
    startServer: () => undefined,
    log: new FakeLog(),
    actions: {
      codeAction: async (...args) => seen.fire(args),
      openLink: async () => undefined,
      confirmDelete: async () => false,
    },
  });
  controller.attach(new FakePort());
  const applied = nextEvent(seen.event, 'the apply action');
  controller.receive({ type: 'codeAction', action: 'apply', code: 'let a = 2;', language: 'ts' });
  assert.deepEqual(await applied, ['apply', 'let a = 2;', 'ts', { info: 'ts main.ts', attachments: [attachment] }]);
  const copied = nextEvent(seen.event, 'the copy action');
  controller.receive({ type: 'codeAction', action: 'copy', code: 'let a = 2;', language: 'ts' });
  assert.deepEqual(await copied, ['copy', 'let a = 2;', 'ts', undefined], 'only Apply looks the block up');
});

/** A controller with a model list, an editor-actions fake and a command recorder; `switchTo` can be made to fail. */
function setupWithModels(options: { failSwitch?: Error; server?: ServerView } = {}) {
  const conversation = new Conversation();
  const server = new Emitter<ServerView>();
  const log = new FakeLog();
  const copied: string[] = [];
  const commands: string[] = [];
  const switched: string[] = [];
  /** Fires when a scan was asked for (the list is returned right after). */
  const scans = new Emitter<void>();
  let configured: string | undefined = '/m/a.gguf';
  const models: ModelChoice[] = [
    { path: '/m/a.gguf', label: 'a.gguf', fit: 'gpu', verdict: 'fully on GPU' },
    { path: '/m/b.gguf', label: 'b.gguf', fit: 'cpu', verdict: 'on CPU (RAM)' },
  ];
  const controller = new ChatViewController({
    conversation,
    getServerView: () => options.server ?? { kind: 'ready', label: 'ready' },
    onDidChangeServerView: server.event,
    getBackend: () => undefined,
    startServer: () => undefined,
    log,
    actions: { codeAction: async (action, text, language) => void copied.push(`${action}:${language}:${text}`), openLink: async () => undefined, confirmDelete: async () => false },
    models: {
      list: async () => {
        scans.fire();
        return models;
      },
      configured: () => configured,
      switchTo: async (path) => {
        if (options.failSwitch) throw options.failSwitch;
        switched.push(path);
        configured = path;
      },
    },
    runCommand: (command) => void commands.push(command),
  });
  const port = new FakePort();
  controller.attach(port);
  /** Resolves once the next scan's list has been posted. */
  const nextList = async (): Promise<void> => {
    await nextEvent(scans.event, 'a model scan', () => true);
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { conversation, controller, port, log, copied, commands, switched, nextList };
}

const modelMessages = (posted: HostToWebview[]) => posted.flatMap((m) => (m.type === 'models' ? [m.models] : []));
const notices = (posted: HostToWebview[]) => posted.flatMap((m) => (m.type === 'notice' ? [m.text] : []));

test("'ready' sends the snapshot, then the switcher's list: scanning first, then the models with their verdicts", async () => {
  const { controller, port, nextList } = setupWithModels();
  const listed = nextList();
  controller.receive({ type: 'ready' });
  await listed;
  assert.equal(itemAt(port.posted, 0).type, 'snapshot');
  assert.deepEqual(modelMessages(port.posted), [
    { models: [], configured: '/m/a.gguf', scanning: true },
    { models: [{ path: '/m/a.gguf', label: 'a.gguf', fit: 'gpu', verdict: 'fully on GPU' }, { path: '/m/b.gguf', label: 'b.gguf', fit: 'cpu', verdict: 'on CPU (RAM)' }], configured: '/m/a.gguf', scanning: false },
  ]);
});

test('a switch to a listed model saves it and restarts through ChatModels, with a status line that clears', async () => {
  const { controller, port, switched, nextList } = setupWithModels();
  await controller.refreshModels();
  port.posted.length = 0;
  const listed = nextList();
  controller.receive({ type: 'switchModel', path: '/m/b.gguf' });
  await listed;
  assert.deepEqual(switched, ['/m/b.gguf']);
  assert.deepEqual(notices(port.posted), ['Switching to b.gguf: restarting llama-server…', '']);
  assert.equal(modelMessages(port.posted).at(-1)?.configured, '/m/b.gguf');
});

test('with no server running, a switch only saves the choice: no restart notice', async () => {
  const { controller, port, switched, nextList } = setupWithModels({ server: { kind: 'stopped', label: 'Model stopped' } });
  await controller.refreshModels();
  const listed = nextList();
  controller.receive({ type: 'switchModel', path: '/m/b.gguf' });
  await listed;
  assert.deepEqual(switched, ['/m/b.gguf']);
  assert.deepEqual(notices(port.posted), []);
  assert.equal(modelMessages(port.posted).at(-1)?.configured, '/m/b.gguf');
});

test('a switch that fails says why in the status line; a path the view was never offered is refused', async () => {
  const { controller, port, log, switched, nextList } = setupWithModels({ failSwitch: new Error('llama-server failed to load it') });
  controller.receive({ type: 'switchModel', path: '/m/b.gguf' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(notices(port.posted), [], 'nothing offered yet: refused');
  assert.match(log.warnings.join('\n'), /refused to switch to a model it did not offer: \/m\/b\.gguf/);
  await controller.refreshModels();
  controller.receive({ type: 'switchModel', path: '/etc/passwd' });
  const listed = nextList();
  controller.receive({ type: 'switchModel', path: '/m/b.gguf' });
  await listed;
  assert.deepEqual(switched, []);
  assert.deepEqual(notices(port.posted), ['Switching to b.gguf: restarting llama-server…', 'Could not switch to b.gguf: llama-server failed to load it']);
  assert.equal(log.warnings.filter((w) => /did not offer/.test(w)).length, 2);
});

test("'copyReply' copies the reply's text from the host's transcript; 'runCommand' runs the allow-listed id; History is posted", async () => {
  const { controller, conversation, port, copied, commands } = setupWithModels();
  conversation.addUnsent('question', 'not running');
  const [user, reply] = conversation.entries;
  assert.ok(user && reply);
  controller.receive({ type: 'copyReply', id: user.id });
  controller.receive({ type: 'copyReply', id: reply.id });
  controller.receive({ type: 'runCommand', command: 'headroom.selectModel' });
  controller.receive({ type: 'runCommand', command: 'workbench.action.terminal.new' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(copied, [`copy:markdown:${reply.text}`], 'a user message is not a reply: only the reply is copied');
  assert.deepEqual(commands, ['headroom.selectModel']);
  controller.showHistory();
  assert.deepEqual(port.posted.at(-1), { type: 'showHistory' });
});
