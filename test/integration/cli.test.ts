// The CLI as a user runs it (`node dist/cli.js ...`, a real process, a real llama-server): the README's main
// command (`headroom demo` on the generated model), `plan --json`'s contract, `serve` until Ctrl+C and `serve` when
// llama-server fails for good, `models` and `pull` (against a loopback stand-in for Hugging Face), bad input, and
// the exit codes (README.md, "Exit codes").
// Needs the bundles (npm test builds them first).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeModel, writeSparseModel } from '../../src/extension/gguf/writer/models';
import { writeProjector } from '../unit/modelsFixtures';
import { FakeHub } from './downloadServer';
import { isAlive, llamaServersWith, waitFor, withTinyModel } from './realServer';
import { itemAt } from '../fixtures/itemAt';
import { requireTool } from '../fixtures/requireTool';
import { CLI, runCli, type CliRun as Run } from '../fixtures/cliProcess';


describe('the CLI, run as a process', { skip: requireTool('the CLI bundle', existsSync(CLI), `${CLI} is not built (npm run build)`) }, () => {
  const fx = withTinyModel('cli');
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, HEADROOM_CACHE_DIR: join(fx.dir, 'cache'), HEADROOM_VERBOSE: '' });

  /** `headroom ARGS` with the test's llama-server. */
  function cli(...args: string[]): Promise<Run> {
    return run([...args, '--llama-server', fx.binary]);
  }

  function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    return runCli(args, { ...env(), ...extraEnv });
  }

  /** `headroom serve MODEL`: its stdout lines (one JSON line per ready llama-server) and its end; killed when `signal` aborts (the test timed out). */
  function serve(model: string, signal: AbortSignal, extraArgs: readonly string[] = []): { child: ChildProcess; readonly nextServer: () => Promise<{ baseUrl: string; apiKey: string; pid: number }>; exited: Promise<Run> } {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', model, '--llama-server', fx.binary, ...extraArgs], { env: env(), signal, killSignal: 'SIGKILL' });
    child.on('error', () => undefined); // the abort; 'close' follows
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const nextServer = async (): Promise<{ baseUrl: string; apiKey: string; pid: number }> => {
      const next = await lines.next();
      if (next.done) throw new Error(`serve exited before printing a server: ${(await exited).stderr}`);
      return JSON.parse(next.value) as { baseUrl: string; apiKey: string; pid: number };
    };
    return { child, nextServer, exited };
  }

  /** The failure lines (`headroom <command>: why`): exactly one is expected, and no stack trace. */
  function failureLines(run: Run, command: string): string[] {
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    return run.stderr.split('\n').filter((line) => line.startsWith(`headroom ${command}:`));
  }

  test('demo without a model: generates the demo model, plans by dry run, streams a reply, stops; the same reply every run', async () => {
    const first = await cli('demo', '--max-tokens', '40');
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /generated demo model/);
    assert.match(first.stderr, /plan \(dry-run\): Context \d+ tokens/);
    assert.match(first.stderr, /ready in [\d.]+ s at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(first.stderr, /-- 40 tokens · [\d.]+ tok\/s \(llama-server\)/);
    assert.match(first.stderr, /llama-server stopped\./);
    assert.ok(first.stdout.trim().length > 10, `a reply was printed: ${JSON.stringify(first.stdout)}`);
    assert.doesNotMatch(first.stdout, /^(\s*\S{1,2})\1{8,}/, 'not one token repeated (greedy decoding on random weights loops)');
    const second = await cli('demo', '--max-tokens', '40');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, first.stdout, 'a fixed sampling seed: the same reply');
    assert.equal(/context (\d+)\)/.exec(first.stderr)?.[1], /Context (\d+) tokens/.exec(first.stderr)?.[1], 'llama-server serves the planned context');
    assert.deepEqual(llamaServersWith(join(fx.dir, 'cache')), [], 'no llama-server left running');
  });

  test('a context larger than the model was trained for is planned at the trained context, which is what llama-server serves', async () => {
    const run = await cli('demo', '--model', fx.model, '--ctx', '65536', '--max-tokens', '5');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /plan \(dry-run\): Context 32768 tokens: the model's trained context/);
    assert.match(run.stderr, /context 32768\)/, 'served: 32768');
    assert.match(run.stderr, /warning: The context of 65536 tokens is larger than the 32768 this model was trained for/);
  });

  test('plan --vram --json: the documented contract, an estimate for a simulated 12 GB GPU', async () => {
    const stub = join(fx.dir, 'llama3-70b-Q4_K_M.gguf');
    await writeSparseModel(stub, 'llama3-70b', { quant: 'Q4_K_M' });
    const run = await cli('plan', stub, '--vram', '12288', '--ctx', '8192', '--json');
    assert.ok(run.code === 0 || run.code === 3, run.stderr);
    const plan = JSON.parse(run.stdout) as {
      source: string; args: string[]; contextSize: number; cacheTypeK: string; cacheTypeV: string;
      devices: { name: string; totalMiB: number; freeMiB: number; modelMiB: number; contextMiB: number; computeMiB: number }[];
      host: { modelMiB: number; contextMiB: number; computeMiB: number }; gpuLayers: { onGpu: number; total: number };
    };
    assert.equal(plan.source, 'estimate');
    assert.equal(plan.devices.length, 1);
    const device = itemAt(plan.devices, 0);
    assert.equal(device.totalMiB, 12288);
    for (const key of ['name', 'freeMiB', 'modelMiB', 'contextMiB', 'computeMiB'] as const) assert.ok(key in device, key);
    for (const key of ['modelMiB', 'contextMiB', 'computeMiB'] as const) assert.equal(typeof plan.host[key], 'number', key);
    assert.equal(plan.gpuLayers.total, 81);
    assert.ok(plan.gpuLayers.onGpu > 0 && plan.gpuLayers.onGpu < 81, `a 70B Q4_K_M splits on 12 GB: ${plan.gpuLayers.onGpu} layers on the GPU`);
    assert.equal(plan.contextSize, 8192);
    assert.equal(plan.args[plan.args.indexOf('-ngl') + 1], String(plan.gpuLayers.onGpu), 'the args carry the plan');
    assert.ok(device.modelMiB + device.contextMiB + device.computeMiB <= 12288 - 1024, 'within the GPU less its 1 GiB margin');
    assert.ok(['f16', 'q8_0', 'q4_0'].includes(plan.cacheTypeK) && ['f16', 'q8_0', 'q4_0'].includes(plan.cacheTypeV));
  });

  test('plan --json: per device and for RAM the estimate beside the numbers, the dry run\'s measurement on top of it', async () => {
    type Parts = { modelMiB: number; contextMiB: number; computeMiB: number };
    type Json = { source: string; devices: (Parts & { estimate: Parts })[]; host: Parts & { estimate: Parts } };
    const parts = (p: Parts): Parts => ({ modelMiB: p.modelMiB, contextMiB: p.contextMiB, computeMiB: p.computeMiB });
    const stub = join(fx.dir, 'llama3-8b-Q4_K_M.gguf');
    await writeSparseModel(stub, 'llama3-8b', { quant: 'Q4_K_M' });
    const simulated = await cli('plan', stub, '--vram', '12288', '--json');
    assert.equal(simulated.code, 0, simulated.stderr);
    const estimate = JSON.parse(simulated.stdout) as Json;
    assert.equal(estimate.source, 'estimate');
    const [gpu] = estimate.devices;
    assert.ok(gpu && gpu.modelMiB > 0);
    assert.deepEqual(gpu.estimate, parts(gpu), 'without a dry run the estimate is the number');
    assert.deepEqual(estimate.host.estimate, parts(estimate.host));
    const measured = await cli('plan', fx.model, '--json');
    assert.equal(measured.code, 0, measured.stderr);
    const dry = JSON.parse(measured.stdout) as Json;
    assert.equal(dry.source, 'dry-run');
    for (const key of ['modelMiB', 'contextMiB', 'computeMiB'] as const) {
      assert.ok(Number.isInteger(dry.host[key]), `${key}: llama.cpp measures whole MiB`);
      assert.equal(typeof dry.host.estimate[key], 'number', `estimated ${key}`);
    }
  });

  test('plan of an hf: ref before download: the header read from the hub, planned as an estimate, the stub removed', async () => {
    const hub = new FakeHub();
    await hub.start();
    try {
      const served = join(fx.dir, 'llama3-70b-remote-Q4_K_M.gguf');
      await writeSparseModel(served, 'llama3-70b', { quant: 'Q4_K_M' });
      // Listed with a made-up hash: the fake hub would read all 40 GB of the sparse file to hash it.
      hub.addFile('acme/Llama-70B-GGUF', 'Llama-70B-Q4_K_M.gguf', { diskPath: served, listedSha256: '0'.repeat(64) });
      const tmp = join(fx.dir, 'tmp');
      mkdirSync(tmp, { recursive: true });
      const sent = hub.bodyBytes;
      // TMPDIR is the child's own, so the stub's folder is seen here while it exists, and must be gone after.
      const plan = await run(['plan', 'hf:acme/Llama-70B-GGUF:Q4_K_M', '--vram', '12288', '--json'], { HF_ENDPOINT: hub.baseUrl, TMPDIR: tmp });
      assert.ok(plan.code === 0 || plan.code === 3, plan.stderr);
      const url = `${hub.baseUrl}/acme/Llama-70B-GGUF/resolve/main/Llama-70B-Q4_K_M.gguf`;
      assert.ok(plan.stderr.includes(`planning before download: reading the header of ${url}`), plan.stderr);
      assert.ok(hub.bodyBytes - sent < statSync(served).size / 100, 'only the header travelled');
      const json = JSON.parse(plan.stdout) as { source: string; gpuLayers: { total: number }; model: string };
      assert.equal(json.source, 'estimate');
      assert.equal(json.gpuLayers.total, 81, "the remote 70B's header was read");
      assert.ok(json.model.startsWith(tmp), `planned from a stub in TMPDIR: ${json.model}`);
      assert.deepEqual(readdirSync(tmp), [], 'the stub and its folder are removed');
    } finally {
      await hub.stop();
    }
  });

  test('plan of a real file on this machine: measured by the dry run, printed as a table with the command line', async () => {
    const json = await cli('plan', fx.model, '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.equal((JSON.parse(json.stdout) as { source: string }).source, 'dry-run');
    const text = await cli('plan', fx.model);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /RAM/);
    assert.match(text.stdout, /llama-server .*--model .*tiny-dense-Q8_0\.gguf/);
  });

  test('serve: prints URL and key as JSON, the key is not in argv, Ctrl+C stops llama-server', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', fx.model, '--llama-server', fx.binary], { env: env() });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('close', () => reject(new Error(`serve exited early: ${stderr}`)));
      });
      const { baseUrl, apiKey, pid } = JSON.parse(line) as { baseUrl: string; apiKey: string; pid: number };
      assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(apiKey.length >= 24);
      assert.equal((await fetch(`${baseUrl}/v1/models`)).status, 401, 'the key is required');
      assert.equal((await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 200);
      assert.ok(!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(apiKey), 'the key is not in argv');
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
      await waitFor('llama-server to be gone', () => !isAlive(pid), 10_000);
      assert.match(stderr, /llama-server stopped\./);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('serve --completion-model: the completion model starts first on its own port, the chat plan keeps its memory free, Ctrl+C stops both', { timeout: 120_000 }, async (t) => {
    const coder = join(fx.dir, 'tiny-fim.gguf');
    await writeModel(coder, 'tiny-dense', { fim: true });
    const { child, nextServer, exited } = serve(fx.model, t.signal, ['--completion-model', coder]);
    try {
      const chat = await nextServer();
      const { completion } = (await nextServer()) as unknown as { completion: { baseUrl: string; apiKey: string; pid: number } };
      assert.notEqual(completion.baseUrl, chat.baseUrl);
      const infill = await fetch(`${completion.baseUrl}/infill`, {
        method: 'POST',
        headers: { authorization: `Bearer ${completion.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input_prefix: 'function add(a, b) {\n  return ', input_suffix: '\n}\n', n_predict: 4 }),
      });
      assert.equal(infill.status, 200);
      assert.equal((await fetch(`${chat.baseUrl}/v1/models`, { headers: { authorization: `Bearer ${chat.apiKey}` } })).status, 200);
      assert.ok(!readFileSync(`/proc/${completion.pid}/cmdline`, 'utf8').includes(completion.apiKey), 'the key is not in argv');
      child.kill('SIGINT');
      const run = await exited;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /completion model ready at .*context 4096, one slot\)/);
      assert.match(run.stderr, /plan \(dry-run\): (\d+ MiB|\d+\.\d GiB) kept for the completion model \(/, 'the chat plan says what it kept free');
      await waitFor('both llama-servers to be gone', () => !isAlive(chat.pid) && !isAlive(completion.pid), 10_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('serve, llama-server killed (SIGKILL) 5 times: restarted 4 times with a new JSON line each, then gives up and exits 1 saying why', { timeout: 120_000 }, async (t) => {
    const { child, nextServer, exited } = serve(fx.model, t.signal);
    try {
      const killed: number[] = [];
      for (let crash = 1; crash <= 5; crash++) {
        const { pid, baseUrl, apiKey } = await nextServer();
        assert.ok(!killed.includes(pid), 'a new llama-server each time');
        assert.equal((await fetch(`${baseUrl}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 200, 'the printed URL and key work');
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      }
      const result = await exited;
      assert.equal(result.code, 1, result.stderr);
      assert.equal((result.stderr.match(/llama-server restarted: ready at/g) ?? []).length, 4, result.stderr);
      const failures = failureLines(result, 'serve');
      assert.deepEqual(failures.slice(1), [], result.stderr);
      assert.match(itemAt(failures, 0), /^headroom serve: llama-server crashed 5 times in a short time and was not restarted\. Last: llama-server was killed \(SIGKILL\)/);
      assert.match(result.stderr, /llama-server stopped\.\n/);
      assert.deepEqual(llamaServersWith(fx.model), [], 'no llama-server left running');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('serve, llama-server dies while restarting (its model file was replaced by a truncated one): exits 1 saying why', { timeout: 60_000 }, async (t) => {
    const model = join(fx.dir, 'replaced-while-serving.gguf');
    copyFileSync(fx.model, model);
    const { child, nextServer, exited } = serve(model, t.signal);
    try {
      const { pid } = await nextServer();
      // The running server keeps the old file open; the restart opens the damaged one.
      const damaged = `${model}.new`;
      copyFileSync(fx.model, damaged);
      truncateSync(damaged, statSync(damaged).size - 4096);
      renameSync(damaged, model);
      process.kill(pid, 'SIGKILL');
      const result = await exited;
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, /llama-server crashed \(SIGKILL\).*Restarting in 1 s\./);
      assert.match(result.stderr, /llama-server stopped\.\n/);
      const failures = failureLines(result, 'serve');
      assert.deepEqual(failures.slice(1), [], result.stderr);
      assert.match(itemAt(failures, 0), /^headroom serve: llama-server stopped while loading replaced-while-serving\.gguf: /);
      assert.deepEqual(llamaServersWith(model), [], 'no llama-server left running');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('bad input: a missing model and a truncated one get a clear error and exit 1; no llama-server is started', async () => {
    const missing = await cli('demo', '--model', join(fx.dir, 'nope.gguf'));
    assert.equal(missing.code, 1);
    assert.match(failureLines(missing, 'demo').join('\n'), /^headroom demo: .*nope\.gguf does not exist[^\n]*$/);
    const truncated = join(fx.dir, 'truncated.gguf');
    copyFileSync(fx.model, truncated);
    truncateSync(truncated, 2000);
    const bad = await cli('demo', '--model', truncated);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /truncated\.gguf/);
    assert.match(bad.stderr, /offset \d+/);
    assert.deepEqual(llamaServersWith(truncated), []);
    for (const unknown of ['frobnicate', 'constructor', 'toString']) {
      const usage = await cli(unknown);
      assert.equal(usage.code, 2, `${unknown}: ${usage.stderr}`);
      assert.match(usage.stderr, /Usage: headroom <command>/);
    }
    for (const command of ['plan', 'pull']) {
      const noModel = await run([command]);
      assert.equal(noModel.code, 2, `${command} without a model is bad usage: ${noModel.stderr}`);
      assert.deepEqual(failureLines(noModel, command).map((l) => l.replace(/:.*/, ': ')), [`headroom ${command}: `]);
      assert.match(noModel.stderr, /MODEL is missing/);
    }
  });

  test('models: finds the GGUF files in a folder with their quant and verdict, skips a projector unless --all', async () => {
    const home = join(fx.dir, 'home');
    const folder = join(fx.dir, 'my-models');
    mkdirSync(folder, { recursive: true });
    await writeModel(join(folder, 'coder-Q4_0.gguf'), 'tiny-dense', { type: 'Q4_0', seed: 5 });
    await writeProjector(join(folder, 'mmproj-F16.gguf'));
    const own = { HOME: home, HEADROOM_CACHE_DIR: join(fx.dir, 'models-cache') };
    const listed = await run(['models', '--json', '--folder', folder], own);
    assert.equal(listed.code, 0, listed.stderr);
    const { models, skipped } = JSON.parse(listed.stdout) as { models: { path: string; summary: { quant?: string; architecture: string }; verdict: { text: string } }[]; skipped: { path: string }[] };
    assert.deepEqual(models.map((m) => m.path), [join(folder, 'coder-Q4_0.gguf')]);
    const found = itemAt(models, 0);
    assert.equal(found.summary.architecture, 'llama');
    assert.equal(found.summary.quant, 'Q4_0');
    assert.match(found.verdict.text, /\S/, 'a verdict for this machine');
    assert.deepEqual(skipped.map((m) => m.path), [join(folder, 'mmproj-F16.gguf')]);
    const text = await run(['models', '--folder', folder], own);
    assert.match(text.stdout, /coder-Q4_0\.gguf/);
    assert.doesNotMatch(text.stdout, /mmproj/);
  });

  test('pull: a bare repo lists its quants with verdicts and a recommendation; hf:repo:QUANT downloads, checks and prints the path', async () => {
    const hub = new FakeHub();
    await hub.start();
    try {
      const served = join(fx.dir, 'served');
      mkdirSync(served, { recursive: true });
      for (const type of ['Q4_0', 'Q8_0', 'F16'] as const) {
        await writeModel(join(served, `tiny-coder-${type}.gguf`), 'tiny-dense', { type, seed: 9 });
        hub.addFile('acme/tiny-coder-GGUF', `tiny-coder-${type}.gguf`, { diskPath: join(served, `tiny-coder-${type}.gguf`) });
      }
      const hf = { HF_ENDPOINT: hub.baseUrl, HOME: join(fx.dir, 'home') };
      const listing = await run(['pull', 'hf:acme/tiny-coder-GGUF'], hf);
      assert.equal(listing.code, 2, 'nothing downloaded: a quant must be named');
      for (const type of ['Q4_0', 'Q8_0', 'F16']) assert.match(listing.stderr, new RegExp(`hf:acme/tiny-coder-GGUF:${type}`));
      assert.match(listing.stderr, /Recommended: \S+/);
      const into = join(fx.dir, 'downloads');
      const pulled = await run(['pull', 'hf:acme/tiny-coder-GGUF:Q8_0', '--dir', into], hf);
      assert.equal(pulled.code, 0, pulled.stderr);
      const path = pulled.stdout.trim();
      assert.ok(path.startsWith(into) && path.endsWith('.gguf'), path);
      assert.deepEqual(readFileSync(path), readFileSync(join(served, 'tiny-coder-Q8_0.gguf')), 'the same bytes');
      assert.match(pulled.stderr, /downloaded \(sha256 checked\)/);
      const again = await run(['pull', 'hf:acme/tiny-coder-GGUF:Q8_0', '--dir', into], hf);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /already here/);
    } finally {
      await hub.stop();
    }
  });
});
