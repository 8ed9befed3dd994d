// The API-level suite, run in the extension host: by @vscode/test-electron (`npm run test:vscode`, downloads VS
// Code) and inside code-server by the runner extension (test/e2e/vscodeApi.test.ts). Both report these tests.
import assert from 'node:assert/strict';
import type * as Vscode from 'vscode';
import type { ApiTest } from './mocha';

export const EXTENSION_ID = 'headroom.headroom';

/** 'vscode' exists only in the extension host: loaded when a test runs, so the titles can be read anywhere. */
function api(): typeof Vscode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a static import would load 'vscode' outside the host
  return require('vscode') as typeof Vscode;
}

const COMMANDS = [
  'headroom.start',
  'headroom.stop',
  'headroom.restart',
  'headroom.selectModel',
  'headroom.buildLlama',
  'headroom.showServerLog',
  'headroom.newChat',
  'headroom.statusMenu',
];

interface Manifest {
  contributes: {
    commands: { command: string }[];
    /** Sections (Model, Server, Memory, Chat), each with its properties. */
    configuration: { properties: Record<string, { type: string | string[]; default: unknown }> }[];
    views: Record<string, { id: string; type?: string }[]>;
    languageModelChatProviders?: { vendor: string }[];
  };
}

function headroom(): Vscode.Extension<unknown> {
  const extension = api().extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension;
}

function manifest(): Manifest {
  return headroom().packageJSON as Manifest;
}

/** Headroom's model through vscode.lm, once the running server is listed (the list follows the server's state). */
async function headroomModel(timeoutMs = 150_000): Promise<Vscode.LanguageModelChat> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [model] = await api().lm.selectChatModels({ vendor: 'headroom' });
    if (model) return model;
    if (Date.now() > deadline) throw new Error('vscode.lm.selectChatModels({ vendor: "headroom" }) listed no model after the server started');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Starts the configured model (a generated tiny one; the runner's workspace sets headroom.modelPath). */
async function startModel(): Promise<void> {
  const modelPath = api().workspace.getConfiguration('headroom').get<string>('modelPath');
  assert.ok(modelPath, 'the workspace configures headroom.modelPath (a generated tiny model)');
  await api().commands.executeCommand('headroom.start');
}

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export const apiTests: ApiTest[] = [
  {
    suite: 'activation',
    title: 'the extension is installed and activates',
    fn: async () => {
      const extension = headroom();
      await extension.activate();
      assert.equal(extension.isActive, true);
    },
  },
  {
    suite: 'commands',
    title: 'every contributed command is registered',
    fn: async () => {
      await headroom().activate();
      const contributed = manifest().contributes.commands.map((c) => c.command);
      for (const id of COMMANDS) assert.ok(contributed.includes(id), `${id} is contributed`);
      const registered = new Set(await api().commands.getCommands(true));
      const missing = contributed.filter((id) => !registered.has(id));
      assert.deepEqual(missing, [], 'contributed commands without a handler');
    },
  },
  {
    suite: 'settings',
    title: 'every setting reads with its declared default and type',
    fn: async () => {
      await headroom().activate();
      const properties = Object.fromEntries(manifest().contributes.configuration.flatMap((section) => Object.entries(section.properties)));
      const config = api().workspace.getConfiguration('headroom');
      for (const key of ['modelPath', 'llamaServerPath', 'contextSize', 'extraServerArgs', 'port', 'gpuLayers', 'kvCacheType', 'gpuMargin', 'systemPrompt']) {
        assert.ok(properties[`headroom.${key}`], `headroom.${key} is contributed`);
      }
      assert.equal(config.inspect<number>('contextSize')?.defaultValue, 0);
      assert.equal(config.inspect<string>('gpuLayers')?.defaultValue, 'auto');
      assert.equal(config.inspect<number>('port')?.defaultValue, 0);
      assert.equal(config.inspect<string>('modelPath')?.defaultValue, '');
      assert.deepEqual(config.inspect<string[]>('extraServerArgs')?.defaultValue, []);
      for (const [fullKey, schema] of Object.entries(properties)) {
        const key = fullKey.slice('headroom.'.length);
        assert.deepEqual(config.inspect(key)?.defaultValue, schema.default, `${fullKey}'s default`);
        const value = config.get(key);
        const type = typeOf(value);
        const types: string[] = Array.isArray(schema.type) ? schema.type : [schema.type];
        assert.ok(types.includes(type) || (types.includes('number') && type === 'integer'), `${fullKey} reads as ${types.join('|')}, got ${type}`);
      }
    },
  },
  {
    suite: 'views',
    title: 'the Chat view is contributed and opens',
    fn: async () => {
      await headroom().activate();
      const views = manifest().contributes.views.headroom ?? [];
      assert.ok(views.some((v) => v.id === 'headroom.chat' && v.type === 'webview'), 'headroom.chat is a webview view');
      await api().commands.executeCommand('workbench.view.extension.headroom');
      // `<view id>.focus` resolves once the view is shown, which makes VS Code resolve its webview provider.
      await api().commands.executeCommand('headroom.chat.focus');
    },
    timeoutMs: 60_000,
  },
  {
    suite: 'language model',
    title: 'the running model is listed by vscode.lm.selectChatModels, counts tokens and streams a reply',
    fn: async () => {
      const vscode = api();
      await headroom().activate();
      assert.ok(manifest().contributes.languageModelChatProviders?.some((p) => p.vendor === 'headroom'), 'the headroom vendor is contributed');
      assert.deepEqual(await vscode.lm.selectChatModels({ vendor: 'headroom' }), [], 'no model is listed while no server runs');
      await startModel();
      const model = await headroomModel();
      assert.equal(model.vendor, 'headroom');
      assert.equal(model.family, 'llama.cpp');
      assert.match(model.id, /\.gguf$/);
      assert.equal(model.maxInputTokens, vscode.workspace.getConfiguration('headroom').get<number>('contextSize'), "the server's context size");
      const tokens = await model.countTokens('The quick brown fox jumps over the lazy dog.');
      assert.ok(Number.isSafeInteger(tokens) && tokens > 0, `countTokens through /tokenize: ${tokens}`);
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Say hello.')], { modelOptions: { maxTokens: 24 } });
      let text = '';
      let chunks = 0;
      for await (const chunk of response.text) {
        text += chunk;
        chunks++;
      }
      assert.ok(chunks > 1 && text.length > 0, `a streamed reply: ${chunks} chunks, ${JSON.stringify(text.slice(0, 80))}`);
    },
    timeoutMs: 240_000,
  },
  {
    suite: 'language model',
    title: 'cancelling a request through vscode.lm ends its stream',
    fn: async () => {
      const vscode = api();
      await startModel();
      const model = await headroomModel();
      const source = new vscode.CancellationTokenSource();
      // The random-weights model never stops by itself: without the cancellation this reads 1000 chunks.
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User('Count to a thousand.')], { modelOptions: { maxTokens: 1000 } }, source.token);
      let chunks = 0;
      try {
        for await (const chunk of response.text) {
          if (chunk !== '') chunks++;
          if (chunks === 1) source.cancel();
        }
      } catch (err) {
        // VS Code may end a cancelled stream with a Cancelled error rather than quietly.
        assert.match(String(err), /cancel/i);
      }
      assert.ok(chunks >= 1 && chunks < 200, `the stream ended soon after the cancellation: ${chunks} chunks`);
    },
    timeoutMs: 240_000,
  },
];
