// A ModelRunner as the CLI drives it: its progress drawn on stderr, its states and recoveries told in plain lines,
// and, for the commands that serve a model, started, used, then stopped.
import { headroomCacheDir } from '../common/cacheDir';
import { Emitter, type Event } from '../common/emitter';
import { HeadroomError } from '../common/errors';
import type { ServerState } from '../llama/serverState';
import type { ReadyServer } from '../llama/supervisor';
import { SystemHardwareProbe } from '../memory/hardware';
import type { PlanReport } from '../memory/planReport';
import type { Reservation } from '../memory/sharedPlan';
import { completionRunRequest, startCompletionServer } from '../runner/completionServer';
import { ModelRunner } from '../runner/modelRunner';
import { TuneStore } from '../runner/tuning/tuneStore';
import { modelOrDemo } from './modelArgument';
import { InterruptedError, type ExitCode, type InterruptSignal } from './exitCodes';
import { watchInterrupts } from './interrupts';
import type { CliOptions } from './options';
import { CliProgress } from './progress';
import { echoServerLines, say } from './say';

function describeState(state: ServerState): string | undefined {
  switch (state.kind) {
    case 'starting':
      return 'starting llama-server...';
    case 'crashed':
      return `llama-server crashed (${state.signal ?? `code ${state.code}`}): ${state.reason} Restarting in ${Math.round(state.retryInMs / 1000)} s.`;
    // 'failed' is not said here: it ends the command, whose one closing line says why. Building and loading
    // are drawn as progress, a ready server is said by whoever started it, and the others pass unremarked.
    case 'failed':
    case 'stopped':
    case 'locating':
    case 'planning':
    case 'building':
    case 'loading':
    case 'ready':
      return undefined;
  }
}

/** A runner whose build and load progress goes to `progress` and whose other states are said on stderr. The caller disposes it. */
export function cliRunner(options: CliOptions, progress: CliProgress, tuneStore = new TuneStore(headroomCacheDir())): ModelRunner {
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
    tuneStore,
  );
  let loading = -1;
  let crashed = false;
  runner.supervisor.onDidChangeState((state) => {
    if (state.kind === 'crashed') crashed = true;
    if (state.kind === 'ready' && crashed) {
      crashed = false;
      say(`llama-server restarted: ready at ${state.baseUrl} (pid ${state.pid}).`);
    } else if (state.kind === 'building') progress.update(state.percent, state.message);
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

async function start(runner: ModelRunner, options: CliOptions, progress: CliProgress, reserved?: Reservation): Promise<ReadyServer> {
  const modelPath = await modelOrDemo(options);
  const started = Date.now();
  try {
    const { server } = await runner.start({ modelPath, wishes: options.wishes, port: options.port, extraArgs: [], rpcWorkers: options.rpcWorkers, reserved });
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

/** `serve --completion-model`: the completion model first, on any free port; the chat plan then keeps what it holds free. */
async function startCompletion(runner: ModelRunner, modelPath: string, options: CliOptions, progress: CliProgress): Promise<{ server: ReadyServer; reserved: Reservation }> {
  try {
    const started = await startCompletionServer(runner, completionRunRequest(modelPath, options.wishes), new SystemHardwareProbe());
    progress.done();
    sayPlan(runner.plan);
    say(`completion model ready at ${started.server.baseUrl} (pid ${started.server.pid}, context ${started.server.contextSize}, one slot)`);
    return started;
  } catch (err) {
    progress.done();
    await runner.stop();
    throw err;
  }
}

/** What a command gets to use while its model runs. */
export interface RunningModel {
  server: ReadyServer;
  /** The completion model's server, when the command was given --completion-model and asked for it. */
  completion?: ReadyServer;
  /** To follow the server across restarts (`supervisor.whenReady()`). */
  runner: ModelRunner;
  /** The first Ctrl+C or SIGTERM; never rejects. */
  interrupted: Promise<InterruptSignal>;
  /** After a crash, the restarted server: a new pid, the same URL and key unless the port was taken meanwhile. */
  onRestarted: Event<ReadyServer>;
}

/** Rejects once llama-server has failed for good (the supervisor gave up on it, or it died while restarting). */
function failedForGood(runner: ModelRunner): { promise: Promise<never>; dispose(): void } {
  let reject: (err: Error) => void = () => undefined;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => undefined);
  const failed = (state: ServerState): void => {
    if (state.kind === 'failed') reject(new HeadroomError(state.error));
  };
  failed(runner.supervisor.state);
  const subscription = runner.supervisor.onDidChangeState(failed);
  return { promise, dispose: () => subscription.dispose() };
}

/**
 * Starts the model (the demo model when no --model), runs `use` on the ready server, then stops llama-server.
 * Rejects when llama-server fails for good meanwhile, and with InterruptedError on Ctrl+C before `use` runs.
 */
export async function withRunningModel(options: CliOptions, use: (running: RunningModel) => Promise<ExitCode>, withCompletion = false): Promise<ExitCode> {
  const progress = new CliProgress();
  const runner = cliRunner(options, progress);
  const completionModel = withCompletion ? options.completionModel : undefined;
  const completionRunner = completionModel ? cliRunner(options, progress) : undefined;
  const stopAll = (): Promise<unknown> => Promise.all([runner.stop(), completionRunner?.stop()]);
  const startAll = async (): Promise<{ server: ReadyServer; completion?: ReadyServer }> => {
    const completion = completionRunner && completionModel ? await startCompletion(completionRunner, completionModel, options, progress) : undefined;
    return { server: await start(runner, options, progress, completion?.reserved), completion: completion?.server };
  };
  const interrupts = watchInterrupts();
  const restarted = new Emitter<ReadyServer>();
  const readyAgain = runner.supervisor.onDidChangeState((state) => {
    const server = runner.supervisor.server;
    if (state.kind === 'ready' && server) restarted.fire(server);
  });
  try {
    const interruptedStart = interrupts.received.then((signal) => Promise.reject(new InterruptedError(signal)));
    const { server, completion } = await Promise.race([startAll(), interruptedStart]).catch(async (err: unknown) => {
      await stopAll();
      throw err;
    });
    const failed = failedForGood(runner);
    try {
      return await Promise.race([use({ server, completion, runner, interrupted: interrupts.received, onRestarted: restarted.event }), failed.promise]);
    } finally {
      failed.dispose();
      await stopAll();
      say(completion ? 'llama-server stopped (both).' : 'llama-server stopped.');
    }
  } finally {
    readyAgain.dispose();
    restarted.dispose();
    interrupts.dispose();
    runner.dispose();
    completionRunner?.dispose();
  }
}
