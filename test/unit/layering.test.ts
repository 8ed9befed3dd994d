// The layering of src/, checked on the imports of the .ts sources: dependencies point down the layer
// table, only the VS Code adapter imports 'vscode', the domain stays free of the editor, the server
// process and the webview, and the host and the webview meet only at src/webview/protocol/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { importsOf, readSources, type SourceImport } from '../fixtures/sourceImports';

const REPO = join(__dirname, '..', '..', '..');
const HOST = 'src/extension/';
const WEBVIEW = 'src/webview/';
const PROTOCOL = 'src/webview/protocol/';

/**
 * The host's layers (folders and files under src/extension/), top first. A file may import its own
 * layer, sibling folders included, and the layers below it; never a layer above. So gguf/ imports only
 * common/, and common/ nothing of ours.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['vscode/', 'cli/', 'main.ts'],
  ['present/', 'runner/', 'models/', 'explain/', 'completion/'],
  ['llama/', 'endpoints/', 'chat/'],
  ['memory/'],
  ['gguf/'],
  ['common/'],
];

/** Only these may import 'vscode'; everything else runs under plain Node. */
const VSCODE_ADAPTER = ['vscode/', 'main.ts'];

/** The pure domain: whatever its layer allows, it imports neither the editor, the server process nor the webview. */
const PURE_DOMAIN = ['memory/', 'chat/'];
const PURE_DOMAIN_NEVER_IMPORTS = ['vscode', `${HOST}llama/`, WEBVIEW];

/** The host's one way into the webview's code: present/'s view models import its protocol, nothing else does. */
const PROTOCOL_IMPORTERS = ['present/'];

/** What the webview may import of the host: the chat domain's types (import type), nothing that runs. */
const WEBVIEW_MAY_IMPORT_TYPES_OF = `${HOST}chat/`;

const RULES = [
  'src imports no test code',
  "only vscode/ and main.ts import 'vscode'",
  'the pure domain imports no vscode, llama/ or webview',
  'imports go down the layer table',
  'every host file is in the layer table',
  'only present/ imports the webview, and only its protocol',
  'the webview imports only chat/ types of the host',
] as const;
type RuleName = (typeof RULES)[number];

interface Violation {
  readonly rule: RuleName;
  readonly from: string;
  /** The import, or '' for a rule about the file itself. */
  readonly to: string;
}

/** `path` (a file, or an import resolved without extension) is under src/extension/<entry>. */
function inHost(path: string, entries: readonly string[]): boolean {
  const bare = path.replace(/\.ts$/, '');
  return entries.some((entry) => (entry.endsWith('/') ? bare.startsWith(HOST + entry) : bare === HOST + entry.replace(/\.ts$/, '')));
}

/** Index in LAYERS (0 is the top), or undefined for a host path in no layer. */
function layerOf(path: string): number | undefined {
  const index = LAYERS.findIndex((layer) => inHost(path, layer));
  return index < 0 ? undefined : index;
}

const isVscode = (to: string): boolean => to === 'vscode' || to.startsWith('vscode/');
const under = (path: string, prefix: string): boolean => (prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix || path.startsWith(`${prefix}/`));

/** The rules an import breaks, if any. */
function brokenRules(imp: SourceImport): RuleName[] {
  const { from, to, typeOnly } = imp;
  const broken: RuleName[] = [];
  const fromHost = from.startsWith(HOST);
  if (from.startsWith('src/') && to.startsWith('test/')) broken.push('src imports no test code');
  if (from.startsWith('src/') && isVscode(to) && !inHost(from, VSCODE_ADAPTER)) broken.push("only vscode/ and main.ts import 'vscode'");
  if (inHost(from, PURE_DOMAIN) && PURE_DOMAIN_NEVER_IMPORTS.some((p) => under(to, p))) {
    broken.push('the pure domain imports no vscode, llama/ or webview');
  }
  if (fromHost && to.startsWith(HOST)) {
    const fromLayer = layerOf(from);
    const toLayer = layerOf(to);
    if (fromLayer !== undefined && toLayer !== undefined && toLayer < fromLayer) broken.push('imports go down the layer table');
  }
  if (fromHost && to.startsWith(WEBVIEW) && !(to.startsWith(PROTOCOL) && inHost(from, PROTOCOL_IMPORTERS))) {
    broken.push('only present/ imports the webview, and only its protocol');
  }
  if (from.startsWith(WEBVIEW) && to.startsWith(HOST) && !(to.startsWith(WEBVIEW_MAY_IMPORT_TYPES_OF) && typeOnly)) {
    broken.push('the webview imports only chat/ types of the host');
  }
  return broken;
}

/** Every violation in `files` (repository path -> source text). */
function checkLayering(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  for (const [from, text] of files) {
    if (from.startsWith(HOST) && layerOf(from) === undefined) violations.push({ rule: 'every host file is in the layer table', from, to: '' });
    for (const imp of importsOf(from, text)) {
      for (const rule of brokenRules(imp)) violations.push({ rule, from, to: imp.to });
    }
  }
  return violations;
}

const format = (violations: readonly Violation[]): string => violations.map((v) => `${v.from}${v.to ? ` -> ${v.to}` : ''}`).join('\n');

const sources = readSources(REPO, ['src']);

test('layering: the sources are read (sanity check of the checker\'s input)', () => {
  assert.ok(sources.size > 100, `${sources.size} files under src/`);
  assert.ok(sources.has('src/extension/main.ts'));
  assert.ok(importsOf('src/extension/main.ts', sources.get('src/extension/main.ts') ?? '').some((imp) => imp.to === 'vscode'));
});

const found = checkLayering(sources);
for (const rule of RULES) {
  test(`layering: ${rule}`, () => {
    assert.equal(format(found.filter((v) => v.rule === rule)), '');
  });
}

// The checker itself, on made-up sources: every rule catches a planted violation, and clean code passes.

const CLEAN: ReadonlyMap<string, string> = new Map([
  ['src/extension/main.ts', "import * as vscode from 'vscode';\nimport { x } from './vscode/server/commands';"],
  ['src/extension/vscode/server/commands.ts', "import * as vscode from 'vscode';\nimport { run } from '../../runner/modelRunner';\nimport { v } from '../../present/view';"],
  ['src/extension/present/view.ts', "import type { ChatEntry } from '../../webview/protocol/chat';\nimport { plan } from '../memory/plan';\nimport { m } from '../models/catalogue';"],
  ['src/extension/runner/modelRunner.ts', "import { Supervisor } from '../llama/supervisor';\nimport { d } from '../models/describe';"],
  ['src/extension/llama/supervisor.ts', "import { Conversation } from '../chat/conversation';\nimport { e } from '../memory/estimate';"],
  ['src/extension/chat/conversation.ts', "import { Emitter } from '../common/emitter';\n// import * as vscode from 'vscode';\nconst s = \"import '../llama/supervisor'\";"],
  ['src/extension/memory/estimate.ts', "import { GgmlType } from '../gguf/ggmlTypes';"],
  ['src/extension/gguf/ggmlTypes.ts', "import { HeadroomError } from '../common/errors';"],
  ['src/extension/common/errors.ts', "import { join } from 'node:path';"],
  ['src/webview/chat/main.ts', "import type { ChatEntry } from '../../extension/chat/types';\nimport { guard } from '../protocol/guards';"],
]);

test('layering checker: clean sources (imports down, sideways in a layer, in comments and strings) pass', () => {
  assert.deepEqual(checkLayering(CLEAN), []);
});

test('layering checker: a planted violation of every rule is caught, and only those', () => {
  const planted = new Map(CLEAN);
  planted.set('src/extension/models/catalogue.ts', "import { fixture } from '../../../test/fixtures/processes';");
  planted.set('src/extension/explain/prompt.ts', "import type { Range } from 'vscode';");
  planted.set('src/extension/chat/store.ts', "import { start } from '../llama/supervisor';\nimport type { ChatEntry } from '../../webview/protocol/chat';");
  planted.set('src/extension/memory/plan.ts', "import { view } from '../present/view';");
  planted.set('src/extension/gguf/header.ts', "export { estimate } from '../memory/estimate';");
  planted.set('src/extension/common/run.ts', "const m = await import('../gguf/header');");
  planted.set('src/extension/newFolder/thing.ts', "import { Emitter } from '../common/emitter';");
  planted.set('src/extension/runner/exactPlan.ts', "import { render } from '../../webview/chat/markdownView';");
  planted.set('src/webview/plan/main.ts', "import { Conversation } from '../../extension/chat/conversation';\nimport type { Plan } from '../../extension/memory/plan';");
  const key = (v: Violation): string => `${v.rule} | ${v.from} -> ${v.to}`;
  assert.deepEqual(checkLayering(planted).map(key).sort(), [
    "only present/ imports the webview, and only its protocol | src/extension/chat/store.ts -> src/webview/protocol/chat",
    "only present/ imports the webview, and only its protocol | src/extension/runner/exactPlan.ts -> src/webview/chat/markdownView",
    "only vscode/ and main.ts import 'vscode' | src/extension/explain/prompt.ts -> vscode",
    'every host file is in the layer table | src/extension/newFolder/thing.ts -> ',
    'imports go down the layer table | src/extension/common/run.ts -> src/extension/gguf/header',
    'imports go down the layer table | src/extension/gguf/header.ts -> src/extension/memory/estimate',
    'imports go down the layer table | src/extension/memory/plan.ts -> src/extension/present/view',
    'src imports no test code | src/extension/models/catalogue.ts -> test/fixtures/processes',
    'the pure domain imports no vscode, llama/ or webview | src/extension/chat/store.ts -> src/extension/llama/supervisor',
    'the pure domain imports no vscode, llama/ or webview | src/extension/chat/store.ts -> src/webview/protocol/chat',
    'the webview imports only chat/ types of the host | src/webview/plan/main.ts -> src/extension/chat/conversation',
    'the webview imports only chat/ types of the host | src/webview/plan/main.ts -> src/extension/memory/plan',
  ].sort());
});
