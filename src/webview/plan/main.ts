import { isPlanHostToWebview } from '../protocol/plan';
import { PlanPage } from './planView';
import { connectToHost } from './vscodeApi';

const host = connectToHost();
const page = new PlanPage({
  copyCommand: () => host.post({ type: 'copyCommand' }),
  computePlan: () => host.post({ type: 'computePlan' }),
});
(document.getElementById('app') ?? document.body).replaceChildren(page.element);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isPlanHostToWebview(message)) {
    // eslint-disable-next-line no-console -- a webview has no output channel: its devtools console is where this shows
    console.warn('Headroom plan view: dropped a malformed message', message);
    return;
  }
  if (message.type === 'state') page.render(message.state);
  else page.copied();
});

host.post({ type: 'ready' });
