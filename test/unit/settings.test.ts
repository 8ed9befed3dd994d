// The settings: how config.ts reads them (trust, gpuLayers, the renamed margin) and how package.json declares them
// (categories, order, enum descriptions, titles the Settings UI derives, editable there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpuLayersValue, isSet, restrictedValue, RESTRICTED_SETTINGS, wishesFrom } from '../../src/extension/vscode/settingValues';

interface Property {
  type?: string | string[];
  enum?: unknown[];
  enumDescriptions?: string[];
  markdownEnumDescriptions?: string[];
  order?: number;
  items?: { type?: string };
  pattern?: string;
  default?: unknown;
}
interface Section {
  id: string;
  title: string;
  order: number;
  properties: Record<string, Property>;
}
interface Manifest {
  contributes: { configuration: Section[] };
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[]; description: string } };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as Manifest;
const sections = manifest.contributes.configuration;
const properties = Object.fromEntries(sections.flatMap((s) => Object.entries(s.properties)));

test('a restricted setting in a trusted workspace: the workspace folder, then the workspace, then the user, then the default', () => {
  const inspected = { defaultValue: '', globalValue: '/usr/bin/llama-server', workspaceValue: './evil', workspaceFolderValue: './folder' };
  assert.equal(restrictedValue(inspected, true), './folder');
  assert.equal(restrictedValue({ ...inspected, workspaceFolderValue: undefined }, true), './evil');
  assert.equal(restrictedValue({ defaultValue: '' }, true), '');
});

test('a restricted setting in an untrusted workspace: the workspace\'s values are ignored, the user\'s own kept', () => {
  assert.equal(restrictedValue({ defaultValue: '', globalValue: '/usr/bin/llama-server', workspaceValue: './evil' }, false), '/usr/bin/llama-server');
  assert.equal(restrictedValue({ defaultValue: '', workspaceValue: './evil', workspaceFolderValue: './evil2' }, false), '');
  assert.deepEqual(restrictedValue<string[]>({ defaultValue: [], workspaceValue: ['--rpc', 'evil:50052'] }, false), []);
  assert.equal(restrictedValue(undefined, false), undefined);
});

test('the restricted settings are the ones package.json declares for untrusted workspaces', () => {
  const declared = manifest.capabilities.untrustedWorkspaces;
  assert.equal(declared.supported, 'limited');
  assert.ok(declared.description.length > 20, 'a description for the trust dialog');
  assert.deepEqual([...declared.restrictedConfigurations].sort(), RESTRICTED_SETTINGS.map((k) => `headroom.${k}`).sort());
  for (const key of declared.restrictedConfigurations) assert.ok(properties[key], `${key} is a setting`);
});

test('gpuLayers: "auto", a number typed in the Settings UI, and the numbers older settings hold', () => {
  assert.equal(gpuLayersValue('auto'), undefined);
  assert.equal(gpuLayersValue('20'), 20);
  assert.equal(gpuLayersValue(' 33 '), 33);
  assert.equal(gpuLayersValue('0'), 0);
  assert.equal(gpuLayersValue(20), 20, 'a number written before the setting became a string');
  assert.equal(gpuLayersValue(12.7), 12);
  assert.equal(gpuLayersValue(-1), undefined, '-1 means auto');
  for (const junk of ['', 'all', '-3', '1e3', null, undefined, true, {}]) assert.equal(gpuLayersValue(junk), undefined, JSON.stringify(junk));
  const pattern = new RegExp(properties['headroom.gpuLayers']?.pattern ?? '(?!)');
  assert.ok(pattern.test('auto') && pattern.test('20') && !pattern.test('all') && !pattern.test('-1'), 'the Settings UI accepts what the reader reads');
});

test('wishesFrom: the planner settings, malformed values as auto', () => {
  const values: Record<string, unknown> = { contextSize: 4096, gpuLayers: '12', kvCacheType: 'q8_0', flashAttention: 'on', threads: 0, gpuMargin: 512, mmap: 'off' };
  const get = <T>(key: string): T | undefined => values[key] as T | undefined;
  assert.deepEqual(wishesFrom(get), { contextSize: 4096, gpuLayers: 12, cacheTypeK: 'q8_0', cacheTypeV: 'q8_0', flashAttn: 'on', marginMiB: 512, mmap: false });
  const junk: Record<string, unknown> = { contextSize: 'big', gpuLayers: 'lots', kvCacheType: 'q2', flashAttention: 'maybe', threads: -2, gpuMargin: -1, mmap: 1 };
  assert.deepEqual(wishesFrom(<T>(key: string): T | undefined => junk[key] as T | undefined), {});
});

test('isSet: only values the user wrote count, not the default', () => {
  assert.equal(isSet({ defaultValue: 1024 }), false);
  assert.equal(isSet({ defaultValue: 1024, globalValue: 2048 }), true);
  assert.equal(isSet({ defaultValue: 1024, workspaceFolderValue: 0 }), true);
  assert.equal(isSet(undefined), false);
});

test('settings come in ordered categories (Model, Server, Memory, Chat, Code Completion), the model path first', () => {
  assert.deepEqual(sections.map((s) => [s.title, s.order]), [['Model', 1], ['Server', 2], ['Memory', 3], ['Chat', 4], ['Code Completion', 5]]);
  const model = sections[0];
  const first = Object.entries(model?.properties ?? {}).sort(([, a], [, b]) => (a.order ?? 99) - (b.order ?? 99))[0];
  assert.equal(first?.[0], 'headroom.modelPath');
  for (const section of sections) {
    for (const [key, p] of Object.entries(section.properties)) assert.equal(typeof p.order, 'number', `${key} has an order in ${section.title}`);
  }
  assert.ok(properties['headroom.systemPrompt'], 'headroom.systemPrompt is a setting');
});

test('every enum setting describes each of its values', () => {
  for (const [key, p] of Object.entries(properties)) {
    if (!p.enum) continue;
    const descriptions = p.enumDescriptions ?? p.markdownEnumDescriptions;
    assert.equal(descriptions?.length, p.enum.length, `${key}: one description per value`);
  }
});

/** Types the Settings UI edits in place; anything else shows "Edit in settings.json". */
function editableInSettingsUi(p: Property): boolean {
  if (Array.isArray(p.type)) return false;
  if (p.type === 'array') return p.items?.type === 'string';
  return ['string', 'integer', 'number', 'boolean'].includes(p.type ?? '');
}

test('every setting is editable in the Settings UI (no union types, arrays of strings only)', () => {
  const jsonOnly = Object.entries(properties).filter(([, p]) => !editableInSettingsUi(p)).map(([k]) => k);
  assert.deepEqual(jsonOnly, []);
});

/**
 * The title the Settings UI shows for a key: VS Code's own derivation (settingsTreeModels.ts settingKeyToLabel,
 * as in code-server 4.139.1's workbench.js): camelCase split into words, the first capitalized, a few known
 * acronyms upper-cased. Settings have no title of their own, so a key that derives badly must be renamed.
 */
function vscodeSettingLabel(key: string): string {
  const last = key.slice(key.lastIndexOf('.') + 1);
  const acronyms = new Set(['css', 'html', 'scss', 'less', 'json', 'js', 'ts', 'ie', 'id', 'php', 'scm']);
  return last
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]{1,})([A-Z][a-z])/g, '$1 $2')
    .replace(/^[a-z]/g, (c) => c.toUpperCase())
    .replace(/\b\w+\b/g, (w) => (acronyms.has(w.toLowerCase()) ? w.toUpperCase() : w));
}

test('the titles the Settings UI derives read as words (no "Gpu Margin Mi B")', () => {
  assert.equal(vscodeSettingLabel('headroom.gpuMarginMiB'), 'Gpu Margin Mi B', 'the derivation reproduces the reported title');
  for (const key of Object.keys(properties)) {
    const label = vscodeSettingLabel(key);
    assert.doesNotMatch(label, /(^| )[A-Za-z]( |$)/, `${key} shows as "${label}": a word of one letter`);
  }
});
