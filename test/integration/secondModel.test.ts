// Two servers of ours on one machine, the real llama-server: a small FIM model for completion started
// first, then the chat model planned with the completion server's measured footprint kept free. The
// machine is sampled once for the whole file, so the plans with and without the reservation differ by it alone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cursorContextOf } from '../../src/extension/completion/cursorContext';
import { InfillClient } from '../../src/extension/completion/infillClient';
import { infillBody } from '../../src/extension/completion/infillRequest';
import { writeModel } from '../../src/extension/gguf/writer/models';
import type { HardwareFacts, HardwareProbe } from '../../src/extension/memory/hardware';
import { SystemHardwareProbe } from '../../src/extension/memory/hardware';
import { COMPLETION_CONTEXT, reservationOf, type Reservation } from '../../src/extension/memory/sharedPlan';
import type { ReadyServer } from '../../src/extension/llama/supervisor';
import { completionRunRequest, startCompletionServer } from '../../src/extension/runner/completionServer';
import { ModelRunner } from '../../src/extension/runner/modelRunner';
import { realServer, tempDir, tinyModel } from './realServer';

/** The real machine, sampled once: both plans see the same free memory. */
class SampledOnce implements HardwareProbe {
  private readonly real = new SystemHardwareProbe();
  private first: Promise<HardwareFacts> | undefined;
  sample(): Promise<HardwareFacts> {
    this.first ??= this.real.sample();
    return this.first;
  }
  processRssMiB(pid: number): Promise<number | undefined> {
    return this.real.processRssMiB(pid);
  }
  processVramMiB(pid: number): Promise<Map<number, number>> {
    return this.real.processVramMiB(pid);
  }
}

const dir = tempDir('second-model');
const probe = new SampledOnce();
let binary = '';
let completionModel = '';
let chatModel = '';
let completionRunner: ModelRunner | undefined;
let chatRunner: ModelRunner | undefined;
let completion: { server: ReadyServer; reserved: Reservation } | undefined;
let chat: ReadyServer | undefined;

const runner = (): ModelRunner => new ModelRunner({ cacheRoot: dir.path, sourceFrom: dir.path, llamaServerPath: () => binary, stopGraceMs: 3_000 }, probe);

before(async () => {
  binary = (await realServer()).path;
  completionModel = join(dir.path, 'tiny-fim.gguf');
  await writeModel(completionModel, 'tiny-dense', { fim: true });
  chatModel = await tinyModel(dir.path);
  completionRunner = runner();
  chatRunner = runner();
  completion = await startCompletionServer(completionRunner, completionRunRequest(completionModel), probe);
  chat = (await chatRunner.start({ modelPath: chatModel, wishes: { contextSize: 2048 }, port: 0, extraArgs: [], reserved: completion.reserved })).server;
});

after(async () => {
  await Promise.all([completionRunner?.stop(), chatRunner?.stop()]);
  completionRunner?.dispose();
  chatRunner?.dispose();
  dir.dispose();
});

function started(): { completion: ReadyServer; reserved: Reservation; chat: ReadyServer } {
  if (!completion || !chat) throw new Error('the servers did not start');
  return { completion: completion.server, reserved: completion.reserved, chat };
}

test('both servers run, on different ports; the completion server has one slot and a 4096-token context', () => {
  const s = started();
  assert.notEqual(new URL(s.completion.baseUrl).port, new URL(s.chat.baseUrl).port);
  assert.notEqual(s.completion.pid, s.chat.pid);
  assert.equal(s.completion.contextSize, COMPLETION_CONTEXT);
  const np = s.completion.args.indexOf('--parallel');
  assert.equal(s.completion.args[np + 1], '1');
});

test('/infill answers on the completion server, chat on the chat server', async () => {
  const s = started();
  const source = Array.from({ length: 20 }, (_, i) => `const v${i} = ${i};`).join('\n');
  const infill = await new InfillClient(s.completion).infill(infillBody(cursorContextOf('a.js', source, 19, 0, 256, 64), [], { maxTokens: 6, maxPredictMs: 500 }), new AbortController().signal);
  assert.ok(infill.timings.promptTokens > 20, `the prefix was read: ${infill.timings.promptTokens} tokens`);
  const res = await fetch(`${s.chat.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.chat.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  assert.equal(typeof body.choices[0]?.message.content, 'string');
});

test("the chat plan's machine is the machine less the completion model's measured footprint, and its reasons say so", async () => {
  const s = started();
  const completionPlan = completionRunner?.plan;
  const chatPlan = chatRunner?.plan;
  assert.ok(completionPlan && chatPlan);
  assert.equal(completionPlan.plan.source, 'dry-run', 'the completion model was measured by llama.cpp, not estimated');
  assert.deepEqual(s.reserved, reservationOf(completionPlan.plan, 'the completion model'));
  assert.ok(s.reserved.ramMiB > 0, `${s.reserved.ramMiB} MiB reserved in RAM`);
  const without = await runner().planOnly({ modelPath: chatModel, wishes: { contextSize: 2048 } });
  assert.equal(without.hardware.ramAvailableMiB - chatPlan.hardware.ramAvailableMiB, s.reserved.ramMiB);
  chatPlan.hardware.gpus.forEach((gpu, i) => assert.equal((without.hardware.gpus[i]?.freeMiB ?? 0) - gpu.freeMiB, Math.min(without.hardware.gpus[i]?.freeMiB ?? 0, s.reserved.gpuMiB[i] ?? 0)));
  assert.match(chatPlan.plan.reasons[0] ?? '', /^(\d+ MiB|\d+\.\d GiB) kept for the completion model \(/);
  assert.ok(!without.plan.reasons.some((r) => r.includes('kept for')), 'a plan without the reservation says nothing of it');
});
