import { test } from 'node:test';
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { expandHome } from '../../src/extension/common/expandHome';

test('expandHome: ~, ~/ and ~\\ against a POSIX home', () => {
  assert.equal(expandHome('~', '/home/me'), '/home/me');
  assert.equal(expandHome('~/', '/home/me'), '/home/me');
  assert.equal(expandHome('~/models/a.gguf', '/home/me'), '/home/me/models/a.gguf');
  assert.equal(expandHome('~\\models', '/home/me/'), '/home/me/models');
});

test('expandHome: a Windows home gets backslashes whichever separator follows the ~', () => {
  assert.equal(expandHome('~', 'C:\\Users\\me'), 'C:\\Users\\me');
  assert.equal(expandHome('~\\models\\a.gguf', 'C:\\Users\\me'), 'C:\\Users\\me\\models\\a.gguf');
  assert.equal(expandHome('~/models/a.gguf', 'C:\\Users\\me'), 'C:\\Users\\me\\models\\a.gguf');
  assert.equal(expandHome('~/models', '\\\\server\\home\\me'), '\\\\server\\home\\me\\models');
});

test('expandHome: anything else is left alone', () => {
  for (const path of ['', '/abs/~/x', 'rel/~', '~other/x', '~~/x', 'C:\\x', ' ~/x']) assert.equal(expandHome(path, '/home/me'), path);
});

test('expandHome: the home defaults to the OS home folder', () => {
  assert.equal(expandHome('~'), homedir());
  assert.equal(expandHome('~/x'), join(homedir(), 'x'));
});
