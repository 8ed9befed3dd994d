// The completion core without an editor: the /infill body for a cursor, the extra-context ring, the
// suggestion cache and trimming, and the engine's debounce and cancellation against a scripted /infill
// server over real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CompletionEngine } from '../../src/extension/completion/completionEngine';
import { cursorContextOf, type CursorContext } from '../../src/extension/completion/cursorContext';
import { chunkSimilarity, ExtraContext } from '../../src/extension/completion/extraContext';
import { InfillClient, InfillUnsupportedError } from '../../src/extension/completion/infillClient';
import { infillBody } from '../../src/extension/completion/infillRequest';
import { SuggestionCache } from '../../src/extension/completion/suggestionCache';
import { trimSuggestion } from '../../src/extension/completion/suggestionTrim';
import { ScriptedInfill } from './scriptedInfill';

const SOURCE = ['import os', '', 'def area(w, h):', '    return w * h', '', 'def main():', '    x = area(2, 3)', '    print(x)', ''].join('\n');
/** The cursor after "    x = " on line 6. */
const AT_X = (): CursorContext => cursorContextOf('main.py', SOURCE, 6, 8, 256, 64);
const lines = (n: number, tag: string): string => Array.from({ length: n }, (_, i) => `${tag} line ${i}`).join('\n');

test('cursor context: lines before, the line split at the cursor, lines after, within the windows', () => {
  const ctx = cursorContextOf('main.py', SOURCE, 6, 8, 2, 1);
  assert.deepEqual(ctx, { fileName: 'main.py', linesBefore: ['', 'def main():'], lineBefore: '    x = ', lineAfter: 'area(2, 3)', linesAfter: ['    print(x)'] });
});

test('request: prefix lines, the cursor line up to the cursor as prompt, suffix, cache_prompt, bounded length and time', () => {
  const ctx = cursorContextOf('main.py', SOURCE, 7, 4, 256, 64);
  const body = infillBody(ctx, [{ filename: 'util.py', text: 'X = 1\n' }], { maxTokens: 50, maxPredictMs: 300 });
  assert.equal(body.input_prefix, 'import os\n\ndef area(w, h):\n    return w * h\n\ndef main():\n    x = area(2, 3)\n');
  assert.equal(body.prompt, '    ');
  assert.equal(body.input_suffix, 'print(x)\n\n');
  assert.deepEqual(body.input_extra, [{ filename: 'util.py', text: 'X = 1\n' }]);
  assert.equal(body.cache_prompt, true);
  assert.equal(body.n_predict, 50);
  assert.equal(body.t_max_predict_ms, 300);
  assert.equal(body.n_indent, 4, 'a line indented less than the cursor line ends the suggestion');
  assert.deepEqual(body.stop, ['\n'], 'inside a line, one line only');
  assert.equal(infillBody(cursorContextOf('main.py', SOURCE, 7, 12, 256, 64), []).stop, undefined, 'at the end of a line, a block may follow');
});

test('extra context: a ring of the newest chunks, a near-copy replaces its original, tiny ones are dropped', () => {
  const extra = new ExtraContext({ capacity: 3, chunkLines: 10 });
  assert.equal(extra.add('empty.py', '\n\nx\n'), false, 'too little text');
  for (const name of ['a', 'b', 'c', 'd']) assert.equal(extra.add(`${name}.py`, lines(30, name), 15), true);
  assert.deepEqual(extra.chunks().map((c) => c.filename), ['b.py', 'c.py', 'd.py'], 'the oldest fell out');
  const chunk = extra.chunks()[0];
  assert.equal(chunk?.text, `${lines(30, 'b').split('\n').slice(10, 20).join('\n')}\n`, 'ten lines centred on line 15');
  // The same text again (a file saved twice): one chunk, now the newest.
  extra.add('b.py', lines(30, 'b'), 15);
  assert.deepEqual(extra.chunks().map((c) => c.filename), ['c.py', 'd.py', 'b.py']);
  // A chunk that is mostly the cursor's own window is not sent.
  assert.deepEqual(extra.chunks(lines(30, 'd')).map((c) => c.filename), ['c.py', 'b.py']);
  assert.equal(chunkSimilarity('a\nb', 'a\nb'), 1);
  assert.equal(chunkSimilarity('a\nb', 'c\nd'), 0);
});

test('trim: blank fills are dropped; inside a line one line is kept and what follows the cursor is not retyped', () => {
  const ctx = AT_X(); // lineAfter 'area(2, 3)'
  assert.equal(trimSuggestion('   \n\n', ctx), undefined);
  assert.equal(trimSuggestion('compute_area(2, 3)', ctx), 'compute_', 'the model retyped the rest of the line');
  assert.equal(trimSuggestion('1 + \nprint()', ctx), '1 +');
  const eol = cursorContextOf('main.py', SOURCE, 7, 12, 256, 64); // after "    print(x)"
  assert.equal(trimSuggestion('\n    return x\n\n', eol), '\n    return x');
  // The document's next line after "def area(w, h):" is "    return w * h": a fill that reaches it stops there.
  const afterDef = cursorContextOf('main.py', SOURCE, 2, 15, 256, 64);
  assert.equal(trimSuggestion('\n    """Area."""\n    return w * h\n', afterDef), '\n    """Area."""');
  assert.equal(trimSuggestion('\n    return w * h', afterDef), undefined, 'only what is already there');
});

test('cache: the same position answers at once; typing the start of a suggestion shows the rest', () => {
  const cache = new SuggestionCache(2);
  const ctx = AT_X();
  cache.set(ctx, 'compute(2)');
  assert.deepEqual(cache.get(ctx), { text: 'compute(2)', typedAhead: 0 });
  const typed = { ...ctx, lineBefore: `${ctx.lineBefore}comp` };
  assert.deepEqual(cache.get(typed), { text: 'ute(2)', typedAhead: 4 });
  assert.equal(cache.get({ ...ctx, lineBefore: `${ctx.lineBefore}cx` }), undefined, 'typed something else');
  assert.equal(cache.get({ ...ctx, lineAfter: '' }), undefined, 'another suffix is another position');
  cache.set({ ...ctx, fileName: 'b.py' }, 'b');
  cache.set({ ...ctx, fileName: 'c.py' }, 'c');
  assert.equal(cache.size, 2);
  assert.equal(cache.get({ ...ctx, fileName: 'b.py' })?.text, 'b');
  assert.equal(cache.get(ctx), undefined, 'the least recently used went first');
});

test('engine: a burst of keystrokes sends one request, after the debounce; the others are cancelled before any HTTP', async () => {
  const server = await new ScriptedInfill({ contents: ['pute('] }).start();
  try {
    const engine = new CompletionEngine(new InfillClient(server), new ExtraContext(), { debounceMs: 40 });
    const base = AT_X();
    const keystrokes = ['c', 'co', 'com'].map((typed) => engine.complete({ ...base, lineBefore: base.lineBefore + typed }));
    const results = await Promise.all(keystrokes);
    assert.deepEqual(results.map((r) => r?.text), [undefined, undefined, 'pute('], 'only the last keystroke is answered');
    assert.equal(server.bodies.length, 1);
    assert.equal(server.bodies[0]?.prompt, '    x = com');
    assert.deepEqual(engine.stats, { requested: 3, fromCache: 0, sent: 1, cancelled: 2, empty: 0 });
    assert.equal(results[2]?.timings?.cachedTokens, 3);
    // Typing on into the suggestion: served from the cache, no request.
    const next = await engine.complete({ ...base, lineBefore: `${base.lineBefore}comp` });
    assert.deepEqual(next, { text: 'ute(', fromCache: true });
    assert.equal(server.bodies.length, 1);
  } finally {
    await server.close();
  }
});

test('engine: the next keystroke cancels a request in flight, down to the HTTP connection', async () => {
  const server = await new ScriptedInfill({ contents: ['slow', 'fast'], delayMs: 300 }).start();
  try {
    const engine = new CompletionEngine(new InfillClient(server), new ExtraContext(), { debounceMs: 0 });
    const base = AT_X();
    const first = engine.complete(base);
    while (server.bodies.length === 0) await sleep(5);
    const second = engine.complete({ ...base, lineBefore: `${base.lineBefore}z` });
    assert.equal(await first, undefined);
    assert.equal((await second)?.text, 'slow', 'the server answers its first script line to the second request');
    assert.equal(server.hungUp, 1, 'the first request was hung up, not left to finish');
    assert.equal(engine.stats.cancelled, 1);
  } finally {
    await server.close();
  }
});

test('engine: the editor cancelling (its token) cancels too; extra context goes into the request', async () => {
  const server = await new ScriptedInfill({ contents: ['x'], delayMs: 300 }).start();
  try {
    const extra = new ExtraContext();
    extra.add('util.py', lines(10, 'util'));
    const engine = new CompletionEngine(new InfillClient(server), extra, { debounceMs: 0 });
    const editor = new AbortController();
    const pending = engine.complete(AT_X(), editor.signal);
    while (server.bodies.length === 0) await sleep(5);
    editor.abort();
    assert.equal(await pending, undefined);
    await sleep(20);
    assert.equal(server.hungUp, 1);
    assert.deepEqual(server.bodies[0]?.input_extra, [{ filename: 'util.py', text: `${lines(10, 'util')}\n` }]);
  } finally {
    await server.close();
  }
});

test('engine: a model without FIM (HTTP 501) is a typed error; a blank fill is no suggestion', async () => {
  const unsupported = await new ScriptedInfill({
    contents: [],
    fail: { status: 501, body: '{"error":{"code":501,"message":"Infill is not supported by this model: prefix token is missing. ","type":"not_supported_error"}}' },
  }).start();
  const blank = await new ScriptedInfill({ contents: ['  \n'] }).start();
  try {
    const engine = new CompletionEngine(new InfillClient(unsupported), new ExtraContext(), { debounceMs: 0 });
    await assert.rejects(engine.complete(AT_X()), (err: unknown) => err instanceof InfillUnsupportedError && /prefix token is missing/.test(err.message));
    const quiet = new CompletionEngine(new InfillClient(blank), new ExtraContext(), { debounceMs: 0 });
    assert.equal(await quiet.complete(AT_X()), undefined);
    assert.equal(quiet.stats.empty, 1);
  } finally {
    await unsupported.close();
    await blank.close();
  }
});
