import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAiClient } from '../../src/extension/chat/openaiClient';
import { ServerTokenCounter } from '../../src/extension/chat/tokenCounter';
import type { ChatBackend, ChatRequest, Delta, ServerTimings } from '../../src/extension/chat/types';
import { defaultBudget, fitLargest } from '../../src/extension/explain/budget';
import { explain, type ExplainSink } from '../../src/extension/explain/explainer';
import { explainMessages } from '../../src/extension/explain/prompt';
import type { ExplainSubject } from '../../src/extension/explain/subject';
import type { ReadyServer, Supervisor } from '../../src/extension/llama/supervisor';
import { realServer, supervisorFor, tempDir, tinyModel, waitFor } from './realServer';
import { itemAt } from '../fixtures/itemAt';

/** Stands in for the inline comment thread: keeps every body it would have rendered, in order. */
class ThreadRecorder implements ExplainSink {
  readonly bodies: string[] = [];
  readonly notes: string[] = [];
  readonly statuses: string[] = [];
  answer = '';
  status(message: string): void {
    this.statuses.push(message);
  }
  note(message: string): void {
    this.notes.push(message);
  }
  text(delta: string): void {
    this.answer += delta;
    this.bodies.push(this.answer);
  }
}

/** The real client, recording each request and the server's timings for it. */
class TimedBackend implements ChatBackend {
  readonly calls: { request: ChatRequest; timings?: ServerTimings }[] = [];
  constructor(private readonly inner: ChatBackend) {}
  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta> {
    const call: { request: ChatRequest; timings?: ServerTimings } = { request };
    this.calls.push(call);
    for await (const delta of this.inner.stream(request, signal)) {
      if (delta.kind === 'done') call.timings = delta.timings;
      yield delta;
    }
  }
}

function numbered(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `const ${prefix}${i} = compute(${i}, "${prefix}") * factor + offset; // step ${i}`);
}

function subjectWith(codeLines: number, around: number): ExplainSubject {
  return {
    languageId: 'typescript',
    fileName: 'src/pipeline.ts',
    startLine: around + 1,
    code: numbered('sel', codeLines).join('\n'),
    before: numbered('above', around),
    after: numbered('below', around),
  };
}

describe('inline explanations with a real llama-server on a generated model', () => {
  const dir = tempDir('explain');
  let supervisor: Supervisor;
  let server: ReadyServer;

  before(async () => {
    const binary = (await realServer()).path;
    supervisor = supervisorFor(binary);
    server = await supervisor.start({ modelPath: await tinyModel(dir.path), contextSize: 1024, port: 0, extraArgs: [] });
  });
  after(async () => {
    await supervisor.stop();
    dir.dispose();
  });

  const connection = () => ({ baseUrl: server.baseUrl, apiKey: server.apiKey });
  // The generated model's tokenizer spends about a token per character, and its random weights rarely
  // stop early: small answers keep the suite fast.
  const smallBudget = () => ({ ...defaultBudget(server.contextSize), answerTokens: 96, summaryTokens: 48 });

  test("prompt trimming with the server's tokenizer: the surrounding code is cut to fit, and the server reads exactly the counted tokens", async () => {
    const counter = new ServerTokenCounter(connection());
    const budget = smallBudget();
    const s = subjectWith(4, 60);
    const limit = budget.contextSize - budget.answerTokens;
    const fitted = await fitLargest((k) => explainMessages(s, { before: k, after: Math.ceil(k / 2) }), 120, limit, counter);
    assert.ok(fitted, 'the selection fits');
    assert.ok(fitted.size > 0 && fitted.size < 60, `some but not all surrounding lines kept (${fitted.size})`);
    assert.ok(fitted.tokens <= limit);
    const more = await counter.countMessages(explainMessages(s, { before: fitted.size + 1, after: Math.ceil((fitted.size + 1) / 2) }));
    assert.ok(more > limit, 'one more line would not fit');

    const backend = new TimedBackend(new OpenAiClient(connection()));
    const recorder = new ThreadRecorder();
    await explain(s, { backend, counter, budget, temperature: 0 }, recorder);
    assert.equal(backend.calls.length, 1);
    const promptTokens = itemAt(backend.calls, 0).timings?.promptTokens ?? -1;
    assert.ok(Math.abs(promptTokens - fitted.tokens) <= 1, `server read ${promptTokens} prompt tokens, we counted ${fitted.tokens}`);
  });

  test('an explanation streams from the real server into the thread recorder, piece by piece', async () => {
    const recorder = new ThreadRecorder();
    const deps = { backend: new OpenAiClient(connection()), counter: new ServerTokenCounter(connection()), budget: smallBudget(), temperature: 0 };
    const result = await explain(subjectWith(6, 10), deps, recorder);
    assert.ok(recorder.bodies.length >= 5, `the body grew in pieces (${recorder.bodies.length})`);
    assert.ok(recorder.bodies.every((b, i) => i === 0 || b.startsWith(itemAt(recorder.bodies, i - 1))), 'each render extends the last');
    assert.equal(recorder.bodies[recorder.bodies.length - 1], result.answer);
    assert.ok(result.answer.length > 0);
    assert.equal(result.parts, 0);
    assert.match(itemAt(result.messages, 1).content, /sel5 = compute/);
  });

  test('a selection larger than the context is explained by parts, every request accepted by the server', async () => {
    const backend = new TimedBackend(new OpenAiClient(connection()));
    const counter = new ServerTokenCounter(connection());
    const budget = smallBudget();
    const recorder = new ThreadRecorder();
    const s = subjectWith(40, 5);
    assert.ok((await counter.countText(s.code)) > server.contextSize, 'the selection alone is bigger than the context');
    const result = await explain(s, { backend, counter, budget, temperature: 0 }, recorder);
    assert.ok(result.parts >= 3, `read in parts (${result.parts})`);
    assert.equal(recorder.notes.length, 1);
    assert.match(itemAt(recorder.notes, 0), /40 lines/);
    for (const call of backend.calls) {
      const tokens = await counter.countMessages(call.request.messages);
      assert.ok(tokens + (call.request.maxTokens ?? 0) <= server.contextSize, `${tokens} + ${call.request.maxTokens} fit ${server.contextSize}`);
    }
    assert.ok(recorder.answer.length > 0 && recorder.answer === result.answer);
  });

  test('cancelling mid-stream rejects promptly and the server answers the next request', async () => {
    const controller = new AbortController();
    const deps = { backend: new OpenAiClient(connection()), counter: new ServerTokenCounter(connection()), budget: smallBudget(), temperature: 0 };
    const recorder = new ThreadRecorder();
    const original = recorder.text.bind(recorder);
    recorder.text = (delta: string) => {
      original(delta);
      if (recorder.bodies.length === 2) controller.abort();
    };
    await assert.rejects(explain(subjectWith(3, 3), deps, recorder, controller.signal));
    assert.equal(recorder.bodies.length, 2, 'nothing more arrived after the abort');
    // llama-server frees the cancelled request's slot asynchronously; a request sent before that can be
    // refused with "Context size has been exceeded" (seen once in CI). A user's next Explain comes later.
    await waitFor('llama-server to finish cancelling', async () => {
      const res = await fetch(`${server.baseUrl}/slots`, { headers: { authorization: `Bearer ${server.apiKey}` } });
      const slots = (await res.json()) as { is_processing?: boolean }[];
      return Array.isArray(slots) && slots.every((slot) => !slot.is_processing);
    }, 10_000);
    const again = new ThreadRecorder();
    const result = await explain(subjectWith(3, 3), deps, again);
    assert.ok(result.answer.length > 0);
  });
});
