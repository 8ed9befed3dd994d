import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServerArgs, checkExtraArgs, splitArgs } from '../../src/extension/llama/serverArgs';
import { ALLOWED_FLAG_GROUPS } from '../../src/extension/llama/allowedServerFlags';
import { cleanEnv, serverEnv } from '../../src/extension/llama/childEnv';
import { HeadroomError } from '../../src/extension/common/errors';

const README = join(__dirname, '..', '..', '..', 'README.md');

test('server args: loopback bind, the port and context, plan args then extra args', () => {
  const args = buildServerArgs({ modelPath: '/m/x.gguf', port: 1234, contextSize: 4096, planArgs: ['-ngl', '20'], extraArgs: ['--temp', '0.2'] });
  assert.deepEqual(args, ['--model', '/m/x.gguf', '--host', '127.0.0.1', '--port', '1234', '--ctx-size', '4096', '--no-webui', '-ngl', '20', '--temp', '0.2']);
});

test('server args: the API key never appears in argv', () => {
  const args = buildServerArgs({ modelPath: '/m', port: 1, contextSize: 0 });
  assert.ok(!args.some((a) => a.includes('api-key')));
});

/** The refusal a call gives, as a HeadroomError (fails the test when it does not throw one). */
function refusal(args: string[]): HeadroomError {
  try {
    checkExtraArgs(args);
  } catch (err) {
    if (err instanceof HeadroomError) return err;
    throw err;
  }
  assert.fail(`${args.join(' ')} was accepted`);
}

test('extra args: every flag of the "Off the happy path" list is refused with a sentence naming it and a hint pointing at the README list', () => {
  const holes = ['-mmu', '--mmproj-url', '--fim-qwen-7b-spec', '--reuse-port', '--webui', '--path', '--log-prompts-dir', '--slot-save-path', '--media-path', '-hfd', '-dr'];
  for (const flag of holes) {
    for (const args of [[flag, 'x'], [`${flag}=x`], ['--temp', '0.2', flag]]) {
      const err = refusal(args);
      assert.ok(err.message.startsWith(`headroom.extraServerArgs may not contain ${flag}: `), err.message);
      assert.match(err.hint ?? '', /listed under "Allowed server arguments" in the README\.$/);
    }
  }
});

test('extra args: the old deny-list stays refused, underscores and = included', () => {
  for (const flag of ['--host', '--port', '--api-key', '--api-key-file', '-m', '--model', '-hf', '--hf-repo', '--rpc', '--tools', '--agent', '-ag', '--models-dir']) {
    refusal([flag, 'x']);
  }
  // llama-server reads --mmproj_url as --mmproj-url and --hf_repo as --hf-repo.
  assert.match(refusal(['--mmproj_url', 'http://x']).message, /may not contain --mmproj-url:/);
  assert.match(refusal(['--host=0.0.0.0']).message, /may not contain --host: llama-server listens on 127\.0\.0\.1/);
  assert.match(refusal(['--api_key', 'k']).message, /may not contain --api-key: Headroom generates a random key/);
});

test('extra args: flags the memory plan sets are refused with the setting to use instead', () => {
  assert.match(refusal(['-ngl', '99']).message, /-ngl: the memory plan sets it; set headroom\.gpuLayers instead\./);
  assert.match(refusal(['--cache-type-k', 'q8_0']).message, /headroom\.kvCacheType/);
  assert.match(refusal(['-fa', 'on']).message, /headroom\.flashAttention/);
  assert.match(refusal(['-t', '4']).message, /headroom\.threads/);
  assert.match(refusal(['-c', '4096']).message, /headroom\.contextSize/);
  assert.match(refusal(['-ub', '1024']).message, /-ub: the memory plan sets it from the measured memory/);
});

test('extra args: a value without its flag, a flag without its value, and a value on a bare flag are refused', () => {
  assert.match(refusal(['0.2']).message, /may not contain 0\.2: it is not a flag, and a value follows its flag\./);
  // --ignore-eos takes no value, so "5" would be read as a flag by llama-server.
  assert.match(refusal(['--ignore-eos', '5']).message, /may not contain 5: it is not a flag/);
  assert.match(refusal(['--ignore-eos=1']).message, /may not contain --ignore-eos=1: --ignore-eos takes no value\./);
  assert.match(refusal(['--temp', '0.2', '--seed']).message, /ends with --seed, which needs a value/);
});

test('extra args: allowed flags pass in both spellings, --flag=value splits, --long_name is --long-name', () => {
  assert.deepEqual(checkExtraArgs(['--temp', '0.5', '--alias', 'host']), ['--temp', '0.5', '--alias', 'host']);
  assert.deepEqual(checkExtraArgs(['-s', '7', '--seed', '8', '-n', '300', '--n-predict', '300']), ['-s', '7', '--seed', '8', '-n', '300', '--n-predict', '300']);
  assert.deepEqual(checkExtraArgs(['--top-k=40', '--top_p', '0.9', '-cb', '--no-cont-batching']), ['--top-k', '40', '--top-p', '0.9', '-cb', '--no-cont-batching']);
  // A value is never read as a flag, even when it looks like one.
  assert.deepEqual(checkExtraArgs(['--alias', '--host', '-l', '15043-1', '--dynatemp-range', '-1']), ['--alias', '--host', '-l', '15043-1', '--dynatemp-range', '-1']);
  assert.deepEqual(checkExtraArgs(['--json-schema={"type":"object"}']), ['--json-schema', '{"type":"object"}']);
  assert.deepEqual(checkExtraArgs([]), []);
});

test('extra args: every allowed spelling passes, and no spelling is listed twice', () => {
  const seen = new Set<string>();
  for (const flag of ALLOWED_FLAG_GROUPS.flatMap((g) => g.flags)) {
    for (const name of flag.names) {
      assert.ok(!seen.has(name), `${name} listed twice`);
      seen.add(name);
      assert.deepEqual(checkExtraArgs(flag.takesValue ? [name, '1'] : [name]), flag.takesValue ? [name, '1'] : [name]);
    }
  }
});

/** The README's list, as the unit test expects it: one line per group. */
function allowedFlagsMarkdown(): string {
  return ALLOWED_FLAG_GROUPS.map((g) => {
    const flags = g.flags.map((f) => f.names.map((n) => `\`${n}\``).join('/') + (f.takesValue ? ' *value*' : ''));
    return `- **${g.title}**: ${flags.join(', ')}`;
  }).join('\n');
}

test('README: the "Allowed server arguments" list equals the code\'s list', () => {
  const readme = readFileSync(README, 'utf8');
  const block = /<!-- allowed-flags:[^>]*-->\n([\s\S]*?)<!-- \/allowed-flags -->/.exec(readme);
  assert.ok(block, 'README.md has the allowed-flags block');
  assert.equal((block[1] ?? '').trimEnd(), allowedFlagsMarkdown(), 'paste the expected text between the allowed-flags comments in README.md');
});

test('extra args: a settings string splits like a shell would, without a shell', () => {
  assert.deepEqual(splitArgs(`--alias "my model" --x 'a b' --y c\\"d`), ['--alias', 'my model', '--x', 'a b', '--y', 'c\\"d']);
  assert.deepEqual(splitArgs('  '), []);
});

test('child env: every LLAMA_* variable, AIP_*, HF_TOKEN, HF_ENDPOINT and MTMD_BACKEND_DEVICE are removed; the rest is kept', () => {
  const parent = {
    PATH: '/bin',
    HOME: '/h',
    CUDA_VISIBLE_DEVICES: '1',
    GGML_VK_VISIBLE_DEVICES: '0',
    HF_HOME: '/hf',
    LLAMA_ARG_HOST: '0.0.0.0',
    LLAMA_ARG_HF_REPO: 'x/y',
    LLAMA_ARG_NO_WARMUP: '1',
    LLAMA_API_KEY: 'theirs',
    LLAMA_SERVER_ROUTER_PORT: '9',
    LLAMA_APP_CMD: 'sh',
    LLAMA_CACHE: '/c',
    AIP_MODE: 'PREDICTION',
    AIP_HTTP_PORT: '80',
    HF_TOKEN: 't',
    HF_ENDPOINT: 'http://mirror',
    MTMD_BACKEND_DEVICE: 'CUDA0',
  };
  assert.deepEqual(cleanEnv(parent), { PATH: '/bin', HOME: '/h', CUDA_VISIBLE_DEVICES: '1', GGML_VK_VISIBLE_DEVICES: '0', HF_HOME: '/hf' });
  assert.equal(parent.LLAMA_ARG_HOST, '0.0.0.0', 'the parent is not changed');
});

test('server env: the cleaned env plus our key and CORS limited to the server\'s own origin without credentials', () => {
  const env = serverEnv({ PATH: '/bin', LLAMA_ARG_CORS_ORIGINS: '*', LLAMA_API_KEY: 'theirs' }, { apiKey: 'ours', port: 4321 });
  assert.deepEqual(env, {
    PATH: '/bin',
    LLAMA_API_KEY: 'ours',
    LLAMA_ARG_CORS_ORIGINS: 'http://127.0.0.1:4321',
    LLAMA_ARG_CORS_CREDENTIALS: 'false',
  });
});
