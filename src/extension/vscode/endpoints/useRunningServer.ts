// "Use a Running Server...": the servers found at the usual places on this machine plus "Enter a URL...",
// an optional key (SecretStorage, never settings), the model when it serves several; then Chat and Explain
// use it. "Use the Local Model" switches back.
import * as vscode from 'vscode';
import { errorMessage } from '../../common/errors';
import { describeEndpoint } from '../../endpoints/describeEndpoint';
import { discoverEndpoints, placesFromEnv, type Discovered } from '../../endpoints/discover';
import { KIND_LABEL, normalizeBaseUrl, type EndpointInfo } from '../../endpoints/endpoint';
import { EndpointAuthError } from '../../endpoints/endpointErrors';
import { writeEndpointSetting } from '../config';
import { endpointKeySecret, type EndpointTarget } from './endpointTarget';
import { modelLabel } from '../../present/endpointView';

type Choice = { readonly kind: 'server'; readonly baseUrl: string; readonly needsKey: boolean } | { readonly kind: 'enterUrl' } | { readonly kind: 'local' };

interface ServerItem extends vscode.QuickPickItem {
  readonly choice?: Choice;
}

const ENTER_URL: ServerItem = { label: '$(link) Enter a URL...', description: 'any OpenAI-compatible server, local or remote', choice: { kind: 'enterUrl' } };
const USE_LOCAL: ServerItem = { label: '$(arrow-left) Use the Local Model', description: 'the model Headroom runs (headroom.modelPath)', choice: { kind: 'local' } };

function modelsText(info: EndpointInfo): string {
  if (info.models.length === 0) return 'no models listed';
  return info.models.map((m) => `${m.id}${m.contextLength !== undefined ? ` (ctx ${m.contextLength})` : ''}`).join(', ');
}

function discoveredItem(d: Discovered): ServerItem | undefined {
  if (d.status === 'absent') return undefined;
  if (d.status === 'found') {
    return { label: `$(server-environment) ${KIND_LABEL[d.info.kind]}`, description: d.baseUrl, detail: modelsText(d.info), choice: { kind: 'server', baseUrl: d.baseUrl, needsKey: false } };
  }
  const needsKey = d.error instanceof EndpointAuthError;
  return { label: `$(${needsKey ? 'key' : 'warning'}) ${KIND_LABEL[d.usual]}?`, description: d.baseUrl, detail: errorMessage(d.error), choice: { kind: 'server', baseUrl: d.baseUrl, needsKey } };
}

async function pickServer(usesEndpoint: boolean): Promise<Choice | undefined> {
  const qp = vscode.window.createQuickPick<ServerItem>();
  qp.title = 'Headroom: use a running server';
  qp.placeholder = 'Looking for servers on this machine (Ollama, LM Studio, llama-server)...';
  qp.busy = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const actions = [{ label: 'Actions', kind: vscode.QuickPickItemKind.Separator }, ENTER_URL, ...(usesEndpoint ? [USE_LOCAL] : [])];
  qp.items = actions;
  const picked = new Promise<Choice | undefined>((resolve) => {
    qp.onDidAccept(() => {
      resolve(qp.selectedItems[0]?.choice);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
  });
  qp.show();
  void (async () => {
    try {
      const found = (await discoverEndpoints({ places: placesFromEnv(process.env.HEADROOM_DISCOVER_PORTS) })).flatMap((d) => discoveredItem(d) ?? []);
      qp.items = [...(found.length ? [{ label: 'Found on this machine', kind: vscode.QuickPickItemKind.Separator }, ...found] : []), ...actions];
      qp.placeholder = found.length ? 'Pick a server, or enter a URL' : 'No server found at the usual ports: enter a URL';
    } catch (err) {
      qp.placeholder = `Could not look for servers (${errorMessage(err)}): enter a URL`;
    }
    qp.busy = false;
  })();
  try {
    return await picked;
  } finally {
    qp.dispose();
  }
}

async function askKey(baseUrl: string, secrets: vscode.SecretStorage, required: boolean): Promise<string | undefined | null> {
  const stored = await secrets.get(endpointKeySecret(baseUrl));
  const key = await vscode.window.showInputBox({
    title: `Headroom: API key for ${baseUrl}`,
    prompt: `${required ? 'This server needs a key.' : 'Optional: leave empty when the server needs none.'} It is kept in VS Code's secret storage, never in settings.`,
    password: true,
    ignoreFocusOut: true,
    placeHolder: stored ? 'Enter keeps the stored key' : 'API key',
  });
  if (key === undefined) return null;
  return key.trim() || stored || undefined;
}

async function pickModel(info: EndpointInfo): Promise<string | undefined> {
  const [only] = info.models;
  if (info.models.length <= 1) return only?.id ?? '';
  const picked = await vscode.window.showQuickPick(
    info.models.map((m) => ({ label: m.id, description: [m.contextLength !== undefined ? `ctx ${m.contextLength}` : '', m.quant ?? ''].filter(Boolean).join(' · ') })),
    { title: `Headroom: which model on ${KIND_LABEL[info.kind]}?` },
  );
  return picked?.label;
}

/** The whole flow; true when an endpoint (or the local model) was chosen. */
export async function useRunningServer(target: EndpointTarget, secrets: vscode.SecretStorage): Promise<boolean> {
  const choice = await pickServer(target.state !== undefined);
  if (!choice) return false;
  if (choice.kind === 'local') {
    await writeEndpointSetting(undefined);
    await target.refresh();
    void vscode.window.showInformationMessage('Headroom: Chat and Explain use the local model again.');
    return true;
  }
  let baseUrl: string;
  if (choice.kind === 'enterUrl') {
    const input = await vscode.window.showInputBox({
      title: 'Headroom: server URL',
      prompt: 'The base URL of an OpenAI-compatible server (Ollama, LM Studio, llama-server, vLLM, a remote API...)',
      placeHolder: 'http://127.0.0.1:11434',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          normalizeBaseUrl(v);
          return undefined;
        } catch (err) {
          return errorMessage(err);
        }
      },
    });
    if (!input) return false;
    baseUrl = normalizeBaseUrl(input);
  } else {
    baseUrl = choice.baseUrl;
  }
  const apiKey = choice.kind === 'server' && !choice.needsKey ? undefined : await askKey(baseUrl, secrets, choice.kind === 'server' && choice.needsKey);
  if (apiKey === null) return false;
  // Described before anything is saved: a wrong URL or key is said now, in one sentence, and changes nothing.
  const info = await describeEndpoint({ baseUrl, ...(apiKey ? { apiKey } : {}) });
  const model = await pickModel(info);
  if (model === undefined) return false;
  if (apiKey) await secrets.store(endpointKeySecret(baseUrl), apiKey);
  else await secrets.delete(endpointKeySecret(baseUrl));
  await writeEndpointSetting({ url: baseUrl, model });
  await target.refresh();
  void vscode.window.showInformationMessage(`Headroom: Chat and Explain now use ${modelLabel(model) || 'the model'} on ${KIND_LABEL[info.kind]} at ${baseUrl}.`);
  return true;
}
