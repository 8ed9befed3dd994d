// The generated tiny models never end a reply by themselves: the tests of streaming, Stop and crashes
// rely on a reply that is still running when they act, whatever the sampler draws.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { realServer, supervisorFor, tempDir, tinyModel } from './realServer';
import type { TinyPreset } from '../../src/extension/gguf/writer/models';
import { itemAt } from '../fixtures/itemAt';

const PRESETS: readonly TinyPreset[] = ['tiny-dense', 'tiny-moe'];
const SEEDS = 12;
const TOKENS = 300;

describe('tiny models: a reply runs until max_tokens, never to an end-of-turn token', () => {
  const dir = tempDir('tiny-ends');
  let binary = '';

  before(async () => {
    binary = (await realServer()).path;
  });
  after(() => dir.dispose());

  for (const preset of PRESETS) {
    test(`${preset}: ${SEEDS} replies at temperature 1 all stop for length`, async () => {
      const supervisor = supervisorFor(binary);
      try {
        const server = await supervisor.start({ modelPath: await tinyModel(dir.path, preset), contextSize: 2048, port: 0, extraArgs: [] });
        const reasons: string[] = [];
        for (let seed = 1; seed <= SEEDS; seed++) {
          const response = await fetch(`${server.baseUrl}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${server.apiKey}` },
            body: JSON.stringify({ messages: [{ role: 'user', content: `Story ${seed}, please.` }], temperature: 1, max_tokens: TOKENS, seed }),
          });
          const body = (await response.json()) as { choices: { finish_reason: string }[]; usage: { completion_tokens: number } };
          reasons.push(`${itemAt(body.choices, 0).finish_reason}/${body.usage.completion_tokens}`);
        }
        assert.deepEqual(reasons, Array.from({ length: SEEDS }, () => `length/${TOKENS}`));
      } finally {
        await supervisor.stop();
      }
    });
  }
});
