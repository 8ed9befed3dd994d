// A ModelRunner as the CLI drives it: its progress drawn on stderr, its states and recoveries told in plain lines,
// and, for the commands that serve a model, started, used, then stopped.
import { headroomCacheDir } from '../common/cacheDir';
import type { ServerState } from '../llama/serverState';
import type { ReadyServer } from '../llama/supervisor';
import { SystemHardwareProbe } from '../memory/hardware';
import type { PlanReport } from '../memory/planReport';
import { ModelRunner } from '../runner/modelRunner';
import { modelOrDemo } from './modelArgument';
import type { CliOptions } from './options';
import { CliProgress } from './progress';
import { echoServerLines, say } from './say';

function describeState(state: ServerState): string | undefined {
  switch (state.kind) {
    case 'starting':
      return 'starting llama-server...';
    case 'crashed':
      return `llama-server crashed (${state.signal ?? `code ${state.code}`}): ${state.reason} Restarting in ${Math.round(state.retryInMs / 1000)} s.`;
    case 'failed':
      return `llama-server failed: ${state.error}`;
    default:
      return undefined;
  }
}

/** A runner whose build and load progress goes to `progress` and whose other states are said on stderr. The caller disposes it. */
export function cliRunner(options: CliOptions, progress: CliProgress): ModelRunner {
  const runner = new ModelRunner(
    {
      cacheRoot: headroomCacheDir(),
      sourceFrom: __dirname,
      llamaServerPath: () => options.llamaServer,
      backend: options.backend,
      onLocated: (s) => {
        progress.done();
        say(`llama-server: ${s.path} (${s.source}, version ${s.version})`);
      },
      onServerLine: echoServerLines(),
      stallTimeoutMs: () => options.stallTimeoutSeconds * 1000,
    },
    new SystemHardwareProbe(),
  );
  let loading = -1;
  runner.supervisor.onDidChangeState((state) => {
    if (state.kind === 'building') progress.update(state.percent, state.message);
    else if (state.kind === 'loading' && state.percent !== null && state.percent !== loading) {
      loading = state.percent;
      progress.update(state.percent, 'loading the model');
    } else {
      const text = describeState(state);
      if (text) say(text);
    }
  });
  runner.onDidRecover((change) => say(`out of memory; ${change}`));
  return runner;
}

function sayPlan(report: PlanReport | undefined): void {
  const plan = report?.plan;
  if (plan) say(`plan (${plan.source}): ${plan.reasons.join(' ')}`);
  for (const warning of plan?.warnings ?? []) say(`warning: ${warning}`);
}

async function start(runner: ModelRunner, options: CliOptions, progress: CliProgress): Promise<ReadyServer> {
  const modelPath = await modelOrDemo(options);
  const started = Date.now();
  try {
    const { server } = await runner.start({ modelPath, wishes: options.wishes, port: options.port, extraArgs: [] });
    progress.done();
    sayPlan(runner.plan);
    say(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${server.baseUrl} (pid ${server.pid}, context ${server.contextSize})`);
    return server;
  } catch (err) {
    progress.done();
    await runner.stop();
    throw err;
  }
}

/**
 * Starts the model (the demo model when no --model), runs `use` on the ready server, then stops llama-server.
 * `use` gets the runner too, to follow the server across restarts (supervisor.whenReady()).
 */
export async function withRunningModel(options: CliOptions, use: (server: ReadyServer, runner: ModelRunner) => Promise<number>): Promise<number> {
  const progress = new CliProgress();
  const runner = cliRunner(options, progress);
  try {
    const server = await start(runner, options, progress);
    try {
      return await use(server, runner);
    } finally {
      await runner.stop();
      say('llama-server stopped.');
    }
  } finally {
    runner.dispose();
  }
}

/** Resolves on the first Ctrl+C (SIGINT) or SIGTERM. */
export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
