import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildServerArgs, checkExtraArgs, splitArgs } from '../../src/extension/llama/serverArgs';
import { childEnv } from '../../src/extension/llama/childEnv';

test('server args: loopback bind, the port and context, plan args then extra args', () => {
  const args = buildServerArgs({ modelPath: '/m/x.gguf', port: 1234, contextSize: 4096, planArgs: ['-ngl', '20'], extraArgs: ['--temp', '0.2'] });
  assert.deepEqual(args, ['--model', '/m/x.gguf', '--host', '127.0.0.1', '--port', '1234', '--ctx-size', '4096', '--no-webui', '-ngl', '20', '--temp', '0.2']);
});

test('server args: the API key never appears in argv', () => {
  const args = buildServerArgs({ modelPath: '/m', port: 1, contextSize: 0 });
  assert.ok(!args.some((a) => a.includes('api-key')));
});

test('extra args: flags Headroom owns or that open the server up are refused with the reason', () => {
  for (const flag of ['--host', '--host=0.0.0.0', '--port', '--api-key', '-m', '--rpc', '--tools', '--agent', '-hf']) {
    assert.throws(() => checkExtraArgs([flag, 'x']), /may not contain/, flag);
  }
  assert.deepEqual(checkExtraArgs(['--temp', '0.5', '--alias', 'host']), ['--temp', '0.5', '--alias', 'host']);
});

test('extra args: a settings string splits like a shell would, without a shell', () => {
  assert.deepEqual(splitArgs(`--alias "my model" --x 'a b' --y c\\"d`), ['--alias', 'my model', '--x', 'a b', '--y', 'c\\"d']);
  assert.deepEqual(splitArgs('  '), []);
});

test('child env: LLAMA_ARG_* and a stray LLAMA_API_KEY are removed, our key is set', () => {
  const env = childEnv({ PATH: '/bin', LLAMA_ARG_HOST: '0.0.0.0', LLAMA_ARG_TOOLS: 'all', LLAMA_API_KEY: 'theirs', HOME: '/h' }, 'ours');
  assert.deepEqual(env, { PATH: '/bin', HOME: '/h', LLAMA_API_KEY: 'ours' });
});
