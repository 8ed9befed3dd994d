// The status-bar switch says what completion is doing: off, waiting for a model, on, or off for want of FIM tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusItem } from '../../src/extension/completion/completionStatus';

test('completion status: each state has its icon and a tooltip that says what a click does', () => {
  assert.deepEqual(statusItem({ kind: 'disabled' }), { text: '$(circle-slash) Complete', tooltip: 'Headroom code completion is off. Click to turn it on.' });
  assert.match(statusItem({ kind: 'no-model' }).tooltip, /starts when the local model is ready\. Click to turn it off\.$/);
  assert.equal(statusItem({ kind: 'active', model: 'coder.gguf' }).tooltip, 'Headroom completes code with coder.gguf. Click to turn it off.');
  const noFim = statusItem({ kind: 'no-fim', sentence: 'Code completion is off because m has no fill-in-the-middle tokens.' });
  assert.equal(noFim.text, '$(warning) Complete');
  assert.equal(noFim.tooltip, 'Code completion is off because m has no fill-in-the-middle tokens. Click to turn completion off.');
});
