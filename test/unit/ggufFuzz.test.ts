// The fast version of the validator fuzz (test/bench/ggufFuzz.bench.ts runs 100,000 and dry-runs what passes):
// whole generated models, mutated 2,000 ways, through the validator only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgufFormatError, parseGgufHeader } from '../../src/extension/gguf/header';
import { fuzzSeeds, GgufMutator, MUTATION_KINDS, type MutationKind } from '../fixtures/ggufMutator';

const MUTATIONS = 2000;

test(`${MUTATIONS} mutations of whole tiny models: every refusal is a GgufFormatError naming a field and an offset, nothing else escapes`, async (t) => {
  const mutator = new GgufMutator(fuzzSeeds(), 2024);
  const tally = new Map<MutationKind, { tried: number; rejected: number }>(MUTATION_KINDS.map((k) => [k, { tried: 0, rejected: 0 }]));
  let accepted = 0;
  let slowest = 0;
  for (let i = 0; i < MUTATIONS; i++) {
    const m = mutator.next();
    const counts = tally.get(m.kind);
    assert.ok(counts);
    counts.tried++;
    const { file, undo } = mutator.apply(m);
    const started = performance.now();
    try {
      await parseGgufHeader(file);
      accepted++;
    } catch (error) {
      const what = `mutation ${i} (${m.kind}: ${m.label})`;
      assert.ok(error instanceof GgufFormatError, `${what} escaped as ${String(error)}`);
      assert.ok(error.field.length > 0, `${what}: no field`);
      assert.ok(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= file.length, `${what}: offset ${error.offset} outside the file`);
      assert.ok(error.message.length > 0, `${what}: no message`);
      counts.rejected++;
    } finally {
      undo();
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  for (const [kind, { tried, rejected }] of tally) {
    assert.ok(tried > 0 && rejected > 0, `${kind}: ${rejected} of ${tried} rejected`);
    t.diagnostic(`${kind}: ${rejected} of ${tried} rejected`);
  }
  assert.ok(accepted > 0, 'some mutations leave a valid file');
  t.diagnostic(`${accepted} accepted, slowest ${slowest.toFixed(1)} ms`);
});
