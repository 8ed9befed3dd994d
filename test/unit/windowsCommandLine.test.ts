// The command line the plan panel and `headroom plan` show for copying, quoted for the shell of the OS
// (PowerShell on Windows, where POSIX quotes would be wrong), and splitArgs, which reads the
// headroom.extraServerArgs string and must keep the backslashes of Windows paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCommandLine, quoteArg } from '../../src/extension/common/commandLine';
import { splitArgs } from '../../src/extension/llama/serverArgs';
import { commandLine } from '../../src/extension/runner/exactPlan';
import { gpuReport } from './planFixtures';

test('command line on Windows: PowerShell, with the key set by $env:, the program called with &, and paths in single quotes', () => {
  const line = commandLine('C:\\Program Files\\llama.cpp\\llama-server.exe', 'C:\\models\\a b.gguf', gpuReport.plan, 8080, [], 'win32');
  assert.equal(
    line,
    "$env:LLAMA_API_KEY='<key>'; & 'C:\\Program Files\\llama.cpp\\llama-server.exe' --model 'C:\\models\\a b.gguf' --host '127.0.0.1' --port 8080 " +
      '--ctx-size 8192 --no-webui -ngl 33 --fit off -fa on -t 8',
  );
});

test('command line on Linux and macOS: POSIX quoting, as before', () => {
  const line = commandLine('/opt/llama/llama-server', "/models/Bob's model.gguf", gpuReport.plan, 8080, [], 'linux');
  assert.equal(line, "LLAMA_API_KEY=<key> /opt/llama/llama-server --model '/models/Bob'\\''s model.gguf' --host 127.0.0.1 --port 8080 --ctx-size 8192 --no-webui -ngl 33 --fit off -fa on -t 8");
  assert.equal(commandLine('/opt/llama/llama-server', '/m.gguf', gpuReport.plan, 8080, [], 'darwin'), commandLine('/opt/llama/llama-server', '/m.gguf', gpuReport.plan, 8080, [], 'linux'));
});

test('PowerShell quoting: what PowerShell would read otherwise is quoted, single quotes doubled', () => {
  const cases: [string, string][] = [
    ['--ctx-size', '--ctx-size'],
    ['-ngl', '-ngl'],
    ['4096', '4096'],
    ['q8_0', 'q8_0'],
    ['1,1', "'1,1'"], // a bare 1,1 is an array
    ['1e3', "'1e3'"], // a bare 1e3 is the number 1000
    ['0.7', "'0.7'"],
    ['-1', "'-1'"],
    ['blk\\.(\\d+)\\.ffn_.*=CPU', "'blk\\.(\\d+)\\.ffn_.*=CPU'"],
    ['$HOME', "'$HOME'"],
    ['a;b', "'a;b'"],
    ["Bob's", "'Bob''s'"],
    ['Bob\u2019s', "'Bob\u2019\u2019s'"],
    ['', "''"],
  ];
  for (const [arg, quoted] of cases) assert.equal(quoteArg(arg, 'powershell'), quoted, arg);
  assert.equal(formatCommandLine({}, ['llama-server', '--version'], 'win32'), '& llama-server --version');
});

test('splitArgs: a double-quoted Windows path keeps its backslashes; \\" is still a quote inside quotes', () => {
  assert.deepEqual(splitArgs('--model "C:\\models\\a b.gguf" --lora C:\\loras\\x.gguf'), ['--model', 'C:\\models\\a b.gguf', '--lora', 'C:\\loras\\x.gguf']);
  assert.deepEqual(splitArgs('--alias "say \\"hi\\"" -ot "blk\\.\\d+\\.ffn=CPU"'), ['--alias', 'say "hi"', '-ot', 'blk\\.\\d+\\.ffn=CPU']);
  assert.deepEqual(splitArgs('--model "\\\\server\\share\\m.gguf"'), ['--model', '\\\\server\\share\\m.gguf'], 'a UNC path');
  assert.deepEqual(splitArgs("--x 'C:\\a b'"), ['--x', 'C:\\a b']);
});
