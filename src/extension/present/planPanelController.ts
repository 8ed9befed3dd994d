// The memory-plan panel's logic without VS Code: keeps the plan to show (the running server's, or one
// computed on request), answers the webview's `ready` with the full state, copies the command line.
import { errorMessage } from '../common/errors';
import type { Disposable, Event } from '../common/emitter';
import {
  isPlanWebviewToHost,
  type PlanHostToWebview,
  type PlanPanelState,
} from '../../webview/protocol/plan';
import type { PlanReport } from '../memory/planReport';
import { planView } from './planView';
import { tuneTable, tuningView, type TuneTable } from './tuneTable';
import type { TuneReport } from '../runner/tuning/tuneModel';
import { resolve } from 'node:path';

/** What ServerController offers: the plan of the running (or last) start, and planning without starting. */
export interface PlanSource {
  readonly plan: PlanReport | undefined;
  readonly onDidChangePlan: Event<PlanReport | undefined>;
  /** Each finished tuning run ("Headroom: Tune for This Machine"): the panel shows its table with the plan of that model. */
  readonly onDidTune?: Event<TuneReport>;
  computePlan(modelPath?: string): Promise<PlanReport>;
  /** While chat uses a server Headroom did not start: "managed by <server>", shown instead of numbers. */
  readonly managedBy?: string;
  readonly onDidChangeManaged?: Event<unknown>;
}

export interface PlanPanelPort {
  post(message: PlanHostToWebview): void;
}

export interface PlanPanelActions {
  copyToClipboard(text: string): Promise<void>;
  warn(message: string, ...args: unknown[]): void;
}

export class PlanPanelController implements Disposable {
  private report: PlanReport | undefined;
  private computing = false;
  private error: string | undefined;
  /** Bumped by every plan the source announces, so that a slower computePlan never overwrites it. */
  private version = 0;
  private port: PlanPanelPort | undefined;
  private tuning: TuneTable | undefined;
  private readonly subscription: Disposable;
  private readonly managedSubscription: Disposable | undefined;
  private readonly tuneSubscription: Disposable | undefined;

  constructor(
    private readonly source: PlanSource,
    private readonly actions: PlanPanelActions,
  ) {
    this.report = source.plan;
    this.subscription = source.onDidChangePlan((report) => {
      this.version++;
      this.report = report;
      this.error = undefined;
      this.postState();
    });
    this.managedSubscription = source.onDidChangeManaged?.(() => this.postState());
    this.tuneSubscription = source.onDidTune?.((report) => {
      this.tuning = tuneTable(report);
      this.postState();
    });
  }

  get current(): PlanReport | undefined {
    return this.report;
  }

  state(): PlanPanelState {
    const by = this.source.managedBy;
    if (by !== undefined) return { kind: 'managed', by };
    if (this.report) {
      const tuned = this.tuning && resolve(this.tuning.modelPath) === resolve(this.report.modelPath) ? tuningView(this.tuning) : undefined;
      const state: PlanPanelState = { kind: 'plan', plan: { ...planView(this.report), ...(tuned && { tuning: tuned }) }, computing: this.computing };
      return this.error === undefined ? state : { ...state, error: this.error };
    }
    if (this.computing) return { kind: 'computing' };
    if (this.error !== undefined) return { kind: 'error', message: this.error };
    return { kind: 'none' };
  }

  attach(port: PlanPanelPort): void {
    this.port = port;
  }

  detach(port: PlanPanelPort): void {
    if (this.port === port) this.port = undefined;
  }

  /** A message from the webview; anything that fails the guard is dropped and logged. */
  receive(message: unknown): void {
    if (!isPlanWebviewToHost(message)) {
      this.actions.warn('Plan panel: dropped a malformed message', message);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.postState();
        return;
      case 'copyCommand':
        void this.copyCommand();
        return;
      case 'computePlan':
        void this.computePlan();
        return;
    }
  }

  /** Plans the configured model without starting it; the panel shows "computing" meanwhile. */
  async computePlan(modelPath?: string): Promise<void> {
    if (this.computing) return;
    const started = this.version;
    this.computing = true;
    this.error = undefined;
    this.postState();
    try {
      const report = await this.source.computePlan(modelPath);
      if (this.version === started) this.report = report;
    } catch (err) {
      if (this.version === started) this.error = errorMessage(err);
    } finally {
      this.computing = false;
      this.postState();
    }
  }

  async copyCommand(): Promise<void> {
    if (!this.report) return;
    try {
      await this.actions.copyToClipboard(this.report.commandLine);
      this.port?.post({ type: 'copied' });
    } catch (err) {
      this.actions.warn('Plan panel: copying the command line failed', err);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.managedSubscription?.dispose();
    this.tuneSubscription?.dispose();
    this.port = undefined;
  }

  private postState(): void {
    this.port?.post({ type: 'state', state: this.state() });
  }
}
