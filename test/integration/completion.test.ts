// Code completion against the real llama-server on generated models: a model that declares FIM tokens
// answers /infill through our client, with the prompt cache reused as the user types (visible in the
// server's own timings); a cancelled completion frees the server; a model without FIM tokens gets the
// server's 501 as a typed error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CompletionEngine } from '../../src/extension/completion/completionEngine';
import { cursorContextOf } from '../../src/extension/completion/cursorContext';
import { ExtraContext } from '../../src/extension/completion/extraContext';
import { fimSupportOfFile } from '../../src/extension/completion/fimAdvice';
import { InfillClient, InfillUnsupportedError } from '../../src/extension/completion/infillClient';
import { infillBody } from '../../src/extension/completion/infillRequest';
import { writeModel } from '../../src/extension/gguf/writer/models';
import type { ReadyServer, Supervisor } from '../../src/extension/llama/supervisor';
import { realServer, supervisorFor, tempDir, tinyModel } from './realServer';

const SOURCE = Array.from({ length: 40 }, (_, i) => `function step${i}(value) {\n  return value * ${i} + offset;\n}`).join('\n');
const LAST = SOURCE.split('\n').length - 1;

/** A suite's real llama-server on a model written by `write`, started before its tests and stopped after. */
function serverOn(prefix: string, contextSize: number, write: (dir: string) => Promise<string>): { server: () => ReadyServer; modelPath: () => string } {
  const dir = tempDir(prefix);
  let supervisor: Supervisor | undefined;
  let server: ReadyServer | undefined;
  let modelPath = '';
  before(async () => {
    const binary = (await realServer()).path;
    modelPath = await write(dir.path);
    supervisor = supervisorFor(binary);
    server = await supervisor.start({ modelPath, contextSize, port: 0, extraArgs: [] });
  });
  after(async () => {
    await supervisor?.stop();
    dir.dispose();
  });
  return {
    server: () => {
      if (!server) throw new Error('the server did not start');
      return server;
    },
    modelPath: () => modelPath,
  };
}

describe('completion with a real llama-server on a generated FIM model', () => {
  const fixture = serverOn('completion', 4096, async (dir) => {
    const path = join(dir, 'tiny-fim.gguf');
    await writeModel(path, 'tiny-dense', { fim: true });
    return path;
  });

  test('the generated model declares FIM tokens, and /infill answers through our client', async () => {
    assert.equal((await fimSupportOfFile(fixture.modelPath())).complete, true);
    const client = new InfillClient(fixture.server());
    const ctx = cursorContextOf('steps.js', SOURCE, LAST, 1, 256, 64);
    const result = await client.infill(infillBody(ctx, [], { maxTokens: 12, maxPredictMs: 1000 }), new AbortController().signal);
    assert.equal(typeof result.content, 'string');
    assert.ok(result.content.length > 0, 'random weights still write something');
    assert.ok(result.timings.promptTokens > 100, `the prefix was read: ${result.timings.promptTokens} tokens`);
    assert.ok(result.timings.predictedTokens > 0 && result.timings.predictedTokens <= 12, 'n_predict bounds the length');
  });

  test('typing on reuses the prompt cache: only the new characters are evaluated again', async () => {
    const client = new InfillClient(fixture.server());
    const signal = new AbortController().signal;
    const lines = SOURCE.split('\n');
    const text = [...lines, 'function next(value) {', '  return '].join('\n');
    const row = lines.length + 1;
    const first = await client.infill(infillBody(cursorContextOf('steps.js', text, row, 9, 256, 64), [{ filename: 'util.js', text: 'const offset = 3;\nexport { offset };\n' }], { maxTokens: 8, maxPredictMs: 500 }), signal);
    const typed = `${text}val`;
    const second = await client.infill(infillBody(cursorContextOf('steps.js', typed, row, 12, 256, 64), [{ filename: 'util.js', text: 'const offset = 3;\nexport { offset };\n' }], { maxTokens: 8, maxPredictMs: 500 }), signal);
    assert.ok(second.timings.cachedTokens > 100, `cached: ${second.timings.cachedTokens}`);
    assert.ok(second.timings.promptTokens < first.timings.promptTokens / 4, `evaluated ${second.timings.promptTokens} tokens again of ${first.timings.promptTokens}`);
    assert.ok(second.timings.promptTokens + second.timings.cachedTokens >= first.timings.promptTokens, 'the whole prompt is accounted for');
  });

  test('the engine: a cancelled completion is hung up and the server answers the next one', async () => {
    const engine = new CompletionEngine(new InfillClient(fixture.server()), new ExtraContext(), { debounceMs: 0, infill: { maxTokens: 2000, maxPredictMs: 0 } });
    const editor = new AbortController();
    const ctx = cursorContextOf('steps.js', SOURCE, LAST, 1, 256, 64);
    const long = engine.complete(ctx, editor.signal);
    setTimeout(() => editor.abort(), 100);
    assert.equal(await long, undefined);
    assert.equal(engine.stats.cancelled, 1);
    const next = new CompletionEngine(new InfillClient(fixture.server()), new ExtraContext(), { debounceMs: 0, infill: { maxTokens: 8, maxPredictMs: 500 } });
    await next.complete(cursorContextOf('steps.js', SOURCE, 3, 0, 256, 64));
    assert.equal(next.stats.sent, 1);
    assert.equal(next.stats.cancelled, 0);
    const slots = (await (await fetch(`${fixture.server().baseUrl}/slots`, { headers: { authorization: `Bearer ${fixture.server().apiKey}` } })).json()) as { is_processing: boolean }[];
    assert.ok(slots.every((s) => !s.is_processing), 'no slot still generating the cancelled completion');
  });
});

describe('completion with a real llama-server on a model without FIM tokens', () => {
  const fixture = serverOn('completion-nofim', 1024, (dir) => tinyModel(dir));

  test('the header says so, and /infill answers 501, which the client turns into a typed error', async () => {
    const support = await fimSupportOfFile(fixture.modelPath());
    assert.deepEqual(support.missing, ['pre', 'suf', 'mid']);
    const client = new InfillClient(fixture.server());
    const ctx = cursorContextOf('a.js', 'let x = 1;\n', 1, 0, 256, 64);
    await assert.rejects(client.infill(infillBody(ctx, []), new AbortController().signal), (err: unknown) => err instanceof InfillUnsupportedError && /prefix token is missing/.test(err.message));
  });
});
