import { Emitter, type Disposable } from '../common/emitter';
import { HeadroomError } from '../common/errors';
import { describeModel, type GgufHeader } from '../gguf/header';
import { ramShortfallAdvice } from '../memory/ramAdvice';
import type { HardwareFacts, HardwareProbe } from '../memory/hardware';
import type { PlanReport } from '../memory/planReport';
import type { PlanWishes } from '../memory/planTypes';
import { hardwareWithout, reservationReason, type Reservation } from '../memory/sharedPlan';
import { createSupervisor, readModelHeader, type SupervisorSetup } from '../llama/createSupervisor';
import { commandLine, exactPlan, launchFromPlan, wishesWith } from './exactPlan';
import { gpusForBuild, listBuildDevices } from '../llama/listDevices';
import { RecoveryPolicy, type PlanFor } from './recovery';
import { rpcPlan } from './rpcPlan';
import type { RpcWorker } from '../endpoints/rpcWorkers';
import { ServerLoadError } from '../llama/serverLoadError';
import type { ReadyServer, ResolvedBinary, ServerConfig, Supervisor } from '../llama/supervisor';
import { tuneModel, type TuneReport, type TuneRequest } from './tuning/tuneModel';
import { hardwareFingerprint, type TuneStore } from './tuning/tuneStore';

export interface RunRequest {
  modelPath: string;
  wishes: PlanWishes;
  /** 0 = any free port. */
  port: number;
  extraArgs: readonly string[];
  /** llama.cpp RPC workers to spread the model over (headroom.rpcWorkers, the CLI's --rpc). */
  rpcWorkers?: readonly RpcWorker[];
  /** Memory another server of ours holds (the completion model beside the chat model): planned around. */
  reserved?: Reservation;
}

export interface PlanRequest {
  modelPath: string;
  wishes: PlanWishes;
  /** Plan for these GPUs (MiB each, all free) instead of the machine's: an estimate, no dry run. */
  simulatedVramMiB?: readonly number[];
  port?: number;
  extraArgs?: readonly string[];
  rpcWorkers?: readonly RpcWorker[];
  reserved?: Reservation;
}

/** Planning across RPC workers is llama.cpp's fit: a build without llama-fit-params cannot do it. */
function requireFitParams(binary: ResolvedBinary): string {
  if (binary.fitParams) return binary.fitParams;
  throw new HeadroomError(
    `RPC workers need llama-fit-params beside ${binary.path} to plan across them, and that build has none.`,
    'Clear headroom.llamaServerPath (or --llama-server) to use Headroom\'s own build, which has it.',
  );
}

/** Hardware with the real RAM and CPU but simulated GPUs. */
export function withSimulatedGpus(facts: HardwareFacts, vramMiB: readonly number[]): HardwareFacts {
  return {
    ...facts,
    gpus: vramMiB.map((mib, index) => ({ index, name: `Simulated GPU ${index} (${(mib / 1024).toFixed(0)} GB)`, totalMiB: mib, freeMiB: mib, usedMiB: 0 })),
  };
}

function serverConfig(request: RunRequest): ServerConfig {
  return { modelPath: request.modelPath, port: request.port, extraArgs: request.extraArgs, contextSize: 0 };
}

/** The plan says what it left for the other server. */
function withReservationReason(report: PlanReport, reserved: Reservation | undefined): PlanReport {
  return reserved ? { ...report, plan: { ...report.plan, reasons: [reservationReason(reserved), ...report.plan.reasons] } } : report;
}

/** Windows with the same model and settings share one server (when the supervisor shares at all). */
function shareKey(request: RunRequest): string {
  const workers = request.rpcWorkers ?? [];
  return JSON.stringify(workers.length > 0 ? { wishes: request.wishes, workers } : request.wishes);
}

/**
 * Runs a model the planned way: plan (estimate checked by llama.cpp's dry run), start supervised,
 * step down the recovery ladder on out-of-memory at load or while generating (one RecoveryPolicy per
 * start), and say what changed.
 * The one entry point the CLI and the extension share.
 */
export class ModelRunner implements Disposable {
  readonly supervisor: Supervisor;
  private readonly planEmitter = new Emitter<PlanReport | undefined>();
  readonly onDidChangePlan = this.planEmitter.event;
  private readonly changeEmitter = new Emitter<string>();
  /** A plain sentence each time the recovery ladder changes the configuration. */
  readonly onDidRecover = this.changeEmitter.event;
  private current: PlanReport | undefined;
  private readonly tuneEmitter = new Emitter<TuneReport>();
  /** Each finished tuning run (its winner is remembered by then). */
  readonly onDidTune = this.tuneEmitter.event;

  constructor(
    setup: SupervisorSetup,
    private readonly probe: HardwareProbe,
    /** Where measured tunings are remembered and read at each start; none: plans are never tuned. */
    private readonly tuneStore?: TuneStore,
  ) {
    this.supervisor = createSupervisor(setup);
  }

  get plan(): PlanReport | undefined {
    return this.current;
  }

  /** The machine as this build can use it: its GPUs from --list-devices, live numbers from nvidia-smi, less what is reserved. */
  private async hardwareFor(binary: ResolvedBinary, reserved?: Reservation): Promise<HardwareFacts> {
    const [facts, devices] = await Promise.all([this.probe.sample(), listBuildDevices(binary.path)]);
    const hardware = gpusForBuild(facts, devices);
    return reserved ? hardwareWithout(hardware, reserved) : hardware;
  }

  /** The wishes with the settings a tuning run measured fastest for this model, machine and build, when there are some. */
  private async withRemembered(modelPath: string, wishes: PlanWishes, hardware: HardwareFacts, binary: ResolvedBinary): Promise<PlanWishes> {
    const remembered = await this.tuneStore?.lookup(modelPath, hardwareFingerprint(hardware, binary.version ?? 'unknown'));
    return remembered ? { ...wishes, measured: remembered.settings } : wishes;
  }

  /** Measures candidates around the plan with llama-bench and remembers the fastest for the next start. */
  async tune(request: TuneRequest): Promise<TuneReport> {
    if (!this.tuneStore) throw new HeadroomError('This runner has nowhere to remember a tuning.');
    const header = await readModelHeader(request.modelPath);
    const binary = await this.supervisor.locate();
    const report = await tuneModel(request, { binary, header, hardware: await this.hardwareFor(binary), store: this.tuneStore });
    this.tuneEmitter.fire(report);
    return report;
  }

  /** Plans without starting (the binary is located or built first, for the dry run). */
  async planOnly(request: PlanRequest): Promise<PlanReport> {
    const header = await readModelHeader(request.modelPath);
    const simulated = request.simulatedVramMiB && request.simulatedVramMiB.length > 0;
    const binary = simulated ? undefined : await this.supervisor.locate();
    const workers = request.rpcWorkers ?? [];
    if (binary && workers.length > 0) {
      // rpc-server serves one client at a time: the dry run would wait behind the running server for as long as it runs.
      const running = this.supervisor.state.kind;
      if (running !== 'stopped' && running !== 'failed') {
        throw new HeadroomError(
          'The RPC workers are serving the running llama-server, and a worker serves one llama-server at a time, so they cannot be asked for a new plan now.',
          'Stop the server to plan again; the plan it runs is the one shown.',
        );
      }
      const report = withReservationReason(
        await rpcPlan({ ...request, header, hardware: await this.hardwareFor(binary, request.reserved), workers, binary: binary.path, fitParams: requireFitParams(binary) }),
        request.reserved,
      );
      this.setPlan(report);
      return report;
    }
    const hardware = binary ? await this.hardwareFor(binary, request.reserved) : withSimulatedGpus(await this.probe.sample(), request.simulatedVramMiB ?? []);
    const exact = await exactPlan({
      modelPath: request.modelPath,
      header,
      hardware,
      wishes: binary ? await this.withRemembered(request.modelPath, request.wishes, hardware, binary) : request.wishes,
      fitParams: binary?.fitParams,
      binary: binary?.path,
      port: request.port,
      extraArgs: request.extraArgs,
    });
    const report = binary ? withReservationReason(exact, request.reserved) : exact;
    if (!simulated) this.setPlan(report);
    return report;
  }

  async start(request: RunRequest): Promise<{ server: ReadyServer; changes: readonly string[] }> {
    const header = await readModelHeader(request.modelPath);
    const recovery = this.recoveryFor(request, header);
    const server = await this.supervisor
      .start(serverConfig(request), recovery, shareKey(request))
      .catch((err: unknown) => {
        throw this.withRamAdvice(err, header);
      });
    if (this.current && recovery.binary) {
      const port = Number(new URL(server.baseUrl).port);
      this.setPlan({ ...this.current, commandLine: commandLine(recovery.binary.path, request.modelPath, this.current.plan, port, request.extraArgs) });
    }
    return { server, changes: recovery.changes };
  }

  /**
   * Attaches to the server another window runs for this request (same model and settings), without
   * planning or starting anything; undefined when none runs. A crash of it is then planned and restarted here.
   */
  async attach(request: RunRequest): Promise<ReadyServer | undefined> {
    const header = await readModelHeader(request.modelPath);
    return this.supervisor.attach(serverConfig(request), this.recoveryFor(request, header), shareKey(request));
  }

  stop(): Promise<void> {
    return this.supervisor.stop();
  }

  /** One start's recovery ladder: each rung is an exact plan with the overrides so far. */
  private recoveryFor(request: RunRequest, header: GgufHeader): RecoveryPolicy {
    const workers = request.rpcWorkers ?? [];
    const planFor: PlanFor = async (overrides, binary) => {
      const hardware = await this.hardwareFor(binary, request.reserved);
      const inputs = {
        modelPath: request.modelPath,
        header,
        hardware,
        wishes: wishesWith(await this.withRemembered(request.modelPath, request.wishes, hardware, binary), overrides),
        binary: binary.path,
        port: request.port,
        extraArgs: request.extraArgs,
      };
      const report = withReservationReason(
        workers.length > 0 ? await rpcPlan({ ...inputs, workers, fitParams: requireFitParams(binary) }) : await exactPlan({ ...inputs, fitParams: binary.fitParams }),
        request.reserved,
      );
      this.setPlan(report);
      return launchFromPlan(report, header);
    };
    return new RecoveryPolicy(planFor, (step) => this.changeEmitter.fire(step.change));
  }

  dispose(): void {
    this.supervisor.dispose();
    this.planEmitter.dispose();
    this.changeEmitter.dispose();
    this.tuneEmitter.dispose();
  }

  /** A failure for lack of RAM says how much is missing and which quantization would fit. */
  private withRamAdvice(err: unknown, header: GgufHeader): unknown {
    const load = err instanceof ServerLoadError ? err : err instanceof Error && err.cause instanceof ServerLoadError ? err.cause : undefined;
    const report = this.current;
    if (!load || !report || (load.failure.kind !== 'mmap-failed' && load.failure.kind !== 'out-of-ram')) return err;
    const advice = ramShortfallAdvice(report.plan, report.hardware, describeModel(header).parameterCount, report.ramMarginMiB);
    return new HeadroomError(`${(err as Error).message} ${advice}`, undefined, { cause: err });
  }

  private setPlan(report: PlanReport | undefined): void {
    this.current = report;
    this.planEmitter.fire(report);
  }
}
