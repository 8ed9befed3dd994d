// A "window" as its own process for the shared-server tests: starts (or attaches to) the shared server for
// a model, prints one JSON line {pid, baseUrl, ms}, then leaves as told: `exit` (the extension host dies
// without a word), `close` (deactivate: lets go, the server keeps running), `hold` (waits for stdin to end).
import { join } from 'node:path';
import { NodeProcessLauncher } from '../../src/extension/llama/processLauncher';
import { ServerSharing } from '../../src/extension/llama/shared/serverSharing';
import { Supervisor } from '../../src/extension/llama/supervisor';
import { checkModelFile } from '../../src/extension/llama/createSupervisor';

export const REAPER_SCRIPT = join(__dirname, '..', '..', 'src', 'extension', 'llama', 'shared', 'reaperMain.js');

async function main(): Promise<void> {
  const [dir, binary, model, mode, idleMs] = process.argv.slice(2);
  if (!dir || !binary || !model || !mode) throw new Error('usage: DIR BINARY MODEL exit|close|hold [IDLE_MS]');
  const sharing = new ServerSharing({ dir, idleStopMs: () => Number(idleMs ?? 0), reaperScript: REAPER_SCRIPT, reaperTickMs: 200 });
  const supervisor = new Supervisor({
    launcher: new NodeProcessLauncher(),
    resolveBinary: () => Promise.resolve({ path: binary }),
    checkModel: checkModelFile,
    sharing,
    stopGraceMs: 3_000,
  });
  const started = Date.now();
  const server = await supervisor.start({ modelPath: model, contextSize: 512, port: 0, extraArgs: [] }, undefined, 'test');
  process.stdout.write(`${JSON.stringify({ pid: server.pid, baseUrl: server.baseUrl, ms: Date.now() - started })}\n`);
  if (mode === 'exit') process.exit(0);
  if (mode === 'hold') await new Promise((r) => process.stdin.on('end', r).resume());
  sharing.keepRunning = true;
  await supervisor.stop();
  process.exit(0);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  });
}
