// Our keybindings type no character on any layout (AltGr on Windows, Option on macOS), and the rules that say
// so, on known cases. The clash with VS Code's defaults is checked in real VS Code: test/e2e/keybindings.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { altGrClashes, clashesWith, normalize, parsePress, typesCharacter, type KeybindingContribution } from '../fixtures/keybindings';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { keybindings: KeybindingContribution[] } };
const ours = manifest.contributes.keybindings;

test('none of our keybindings types a character on any platform (AltGr on Windows, Option on macOS)', () => {
  assert.ok(ours.length >= 2, 'the chat and Explain have keybindings');
  for (const k of ours) assert.deepEqual(altGrClashes(k), [], `${k.command}: ${k.key} / win ${k.win ?? k.key} / mac ${k.mac ?? k.key}`);
});

test('each of our keybindings has a when clause', () => {
  for (const k of ours) assert.ok(k.when && k.when.trim() !== '', `${k.command} has a when clause`);
});

test('the AltGr rule: Ctrl+Alt+<printable> types a character on Windows, not F-keys or arrows, not on Linux', () => {
  const win = (press: string): boolean => typesCharacter(parsePress(press), 'win');
  assert.equal(win('ctrl+alt+e'), true, 'AltGr+E is the euro sign on German and other layouts');
  assert.equal(win('ctrl+alt+shift+7'), true);
  assert.equal(win('alt+ctrl+q'), true, 'in any order');
  assert.equal(win('ctrl+alt+oem_4'), true);
  assert.equal(win('ctrl+alt+[KeyE]'), true, 'a scan code');
  assert.equal(win('ctrl+alt+f5'), false);
  assert.equal(win('ctrl+alt+left'), false);
  assert.equal(win('ctrl+shift+e'), false);
  assert.equal(typesCharacter(parsePress('ctrl+alt+e'), 'linux'), false, 'AltGr is its own key on Linux');
  assert.equal(typesCharacter(parsePress('alt+e'), 'mac'), true, 'Option+E is a dead key for accents');
  assert.equal(typesCharacter(parsePress('cmd+alt+e'), 'mac'), false);
  // The bindings the issue reported: both are caught.
  assert.deepEqual(altGrClashes({ command: 'x', key: 'ctrl+alt+e', mac: 'cmd+alt+e' }), ['win']);
  assert.deepEqual(altGrClashes({ command: 'x', key: 'ctrl+k ctrl+alt+e', mac: 'cmd+k h' }), ['win'], 'a chord\'s second press too');
  assert.deepEqual(altGrClashes({ command: 'x', key: 'ctrl+k h', mac: 'cmd+k h' }), []);
});

test('normalize: modifier order, case and synonyms do not matter', () => {
  assert.equal(normalize('Shift+Ctrl+P'), 'ctrl+shift+p');
  assert.equal(normalize('alt+ctrl+i'), 'ctrl+alt+i');
  assert.equal(normalize('cmd+k  cmd+s'), 'meta+k meta+s');
  assert.equal(normalize('ctrl++'), 'ctrl++');
});

test('clashesWith: the same chord, or one binding the first press of the other', () => {
  const defaults = ['ctrl+alt+i', 'ctrl+k ctrl+s', 'ctrl+shift+p', 'ctrl+j'];
  assert.deepEqual(clashesWith('alt+ctrl+i', defaults), ['ctrl+alt+i']);
  assert.deepEqual(clashesWith('ctrl+k ctrl+s', defaults), ['ctrl+k ctrl+s']);
  assert.deepEqual(clashesWith('ctrl+k', defaults), ['ctrl+k ctrl+s'], 'ours would swallow the chord');
  assert.deepEqual(clashesWith('ctrl+j x', defaults), ['ctrl+j'], 'the chord could not start');
  assert.deepEqual(clashesWith('ctrl+k h', defaults), []);
  assert.deepEqual(clashesWith('ctrl+shift+alt+p', defaults), []);
});
