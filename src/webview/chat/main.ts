import { isHostToWebview, type HostToWebview } from '../protocol';
import { Composer } from './composer';
import { MessageList } from './messageList';
import { ServerHeader } from './serverHeader';
import { connectToHost } from './vscodeApi';

const host = connectToHost();
const header = new ServerHeader({
  startServer: () => host.post({ type: 'startServer' }),
  newChat: () => host.post({ type: 'newChat' }),
});
const messages = new MessageList();
const composer = new Composer(
  {
    send: (text) => host.post({ type: 'send', text }),
    stop: () => host.post({ type: 'stop' }),
    saveDraft: (draft) => host.saveDraft(draft),
  },
  host.loadDraft(),
);

const app = document.getElementById('app') ?? document.body;
app.replaceChildren(header.element, messages.element, composer.element);

/** Events only make sense on top of a snapshot; anything earlier is superseded by the snapshot anyway. */
let synced = false;

function apply(message: HostToWebview): void {
  if (message.type === 'snapshot') {
    synced = true;
    header.update(message.server);
    messages.reset(message.entries);
    composer.setBusy(message.busy);
    return;
  }
  if (!synced) return;
  switch (message.type) {
    case 'server':
      header.update(message.server);
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
      composer.setBusy(message.busy);
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isHostToWebview(event.data)) {
    console.warn('Headroom chat: dropped an invalid message from the host', event.data);
    return;
  }
  apply(event.data);
});

host.post({ type: 'ready' });
