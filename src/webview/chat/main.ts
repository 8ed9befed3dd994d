import { isHostToWebview, type HostToWebview } from '../protocol/chat';
import { Announcer } from './announcer';
import { Composer } from './composer';
import { ContextBar } from './contextBar';
import { EmptyState } from './emptyState';
import { HistoryPanel } from './historyPanel';
import { MessageList } from './messageList';
import { ServerHeader } from './serverHeader';
import { connectToHost } from './vscodeApi';

const host = connectToHost();
const history = new HistoryPanel({
  open: (id) => host.post({ type: 'openChat', id }),
  delete: (id) => host.post({ type: 'deleteChat', id }),
});
const header = new ServerHeader({
  startServer: () => host.post({ type: 'startServer' }),
  switchModel: (path) => host.post({ type: 'switchModel', path }),
});
const announcer = new Announcer();
const emptyState = new EmptyState({ run: (command) => host.post({ type: 'runCommand', command }) });
const composer = new Composer(
  {
    send: (text) => host.post({ type: 'send', text }),
    resend: (id, text) => host.post({ type: 'editResend', id, text }),
    stop: () => host.post({ type: 'stop' }),
    saveDraft: (draft) => host.saveDraft(draft),
    lastUserText: () => messages.lastUserText(),
  },
  host.loadDraft(),
);
const messages = new MessageList(
  {
    codeAction: (action, code, language) => host.post({ type: 'codeAction', action, code, language }),
    openLink: (href) => host.post({ type: 'openLink', href }),
    regenerate: () => host.post({ type: 'regenerate' }),
    edit: (id, text) => composer.edit(id, text),
    copyReply: (id) => host.post({ type: 'copyReply', id }),
  },
  announcer,
  emptyState.element,
);
const context = new ContextBar({
  attach: (kind) => host.post({ type: 'attach', kind }),
  detach: (id) => host.post({ type: 'detach', id }),
});

const app = document.getElementById('app') ?? document.body;
app.replaceChildren(header.element, history.element, messages.element, context.element, composer.element, announcer.element);

let busy = false;
// Escape stops a streaming reply from anywhere in the view.
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && busy && !event.isComposing) {
    event.preventDefault();
    host.post({ type: 'stop' });
  }
});

/** Events only make sense on top of a snapshot; anything earlier is superseded by the snapshot anyway. */
let synced = false;

function setBusy(value: boolean): void {
  busy = value;
  composer.setBusy(value);
  messages.setBusy(value);
}

function apply(message: HostToWebview): void {
  if (message.type === 'snapshot') {
    synced = true;
    header.update(message.server);
    emptyState.setServer(message.server);
    history.update(message.chats, message.chatId);
    context.update(message.context);
    messages.reset(message.entries);
    setBusy(message.busy);
    return;
  }
  if (!synced) return;
  switch (message.type) {
    case 'server':
      header.update(message.server);
      emptyState.setServer(message.server);
      return;
    case 'models':
      header.setModels(message.models);
      emptyState.setModels(message.models);
      return;
    case 'notice':
      header.setNotice(message.text);
      return;
    case 'showHistory':
      history.toggle();
      return;
    case 'chats':
      history.update(message.chats, message.chatId);
      return;
    case 'context':
      context.update(message.context);
      return;
    case 'focusInput':
      composer.focus();
      return;
    case 'entryAdded':
      messages.add(message.entry);
      if (message.entry.role === 'assistant' && message.entry.status !== 'streaming') composer.hostAnswered();
      return;
    case 'entryDelta':
      messages.appendText(message.id, message.text);
      return;
    case 'entryDone':
      messages.finish(message.id, message.status, message.stats, message.error);
      return;
    case 'busy':
      setBusy(message.busy);
      if (!message.busy) composer.hostAnswered();
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostToWebview(event.data)) {
    // eslint-disable-next-line no-console -- a webview has no output channel: its devtools console is where this shows
    console.warn('Headroom chat: dropped an invalid message from the host', event.data);
    return;
  }
  apply(event.data);
});

host.post({ type: 'ready' });
