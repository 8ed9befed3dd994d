import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../src/extension/cli/options';
import { isValidPort } from '../../src/extension/llama/ports';

test('cli --port: 0 (any free port) and 1-65535 are taken; no --port is 0', () => {
  assert.equal(parseCli(['serve']).options.port, 0);
  for (const port of ['0', '1', '8080', '65535']) {
    assert.equal(parseCli(['serve', '--port', port]).options.port, Number(port));
  }
});

test('cli --port: anything else is refused with a sentence that names the rule, not Node\'s RangeError', () => {
  for (const port of ['99999', '65536', '-1', '80.5', 'http', '', '0x50', '1e3']) {
    assert.throws(
      () => parseCli(['serve', `--port=${port}`]),
      (err: Error) => err.message === `--port must be a whole number from 1 to 65535, or 0 for any free port; got "${port}".`,
      port,
    );
  }
});

test('port rule: whole numbers 0-65535 only', () => {
  assert.deepEqual([0, 1, 65535].map(isValidPort), [true, true, true]);
  assert.deepEqual([-1, 65536, 99999, 1.5, Number.NaN].map(isValidPort), [false, false, false, false, false]);
});
