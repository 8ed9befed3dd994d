import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../src/extension/common/emitter';
import { HeadroomError } from '../../src/extension/common/errors';
import { webviewCsp, webviewHtml } from '../../src/extension/present/webviewHtml';
import type { PlanReport } from '../../src/extension/memory/planReport';
import { PlanPanelController, type PlanSource } from '../../src/extension/present/planPanelController';
import { planView } from '../../src/extension/present/planView';
import {
  isPlanHostToWebview,
  isPlanPanelState,
  isPlanView,
  isPlanWebviewToHost,
  type PlanHostToWebview,
} from '../../src/webview/protocol/plan';
import { cpuReport, gpuReport, moeReport, overReport } from './planFixtures';
import { itemAt } from '../fixtures/itemAt';

test('every plan view the host builds passes the webview guard', () => {
  for (const report of [gpuReport, moeReport, cpuReport, overReport]) {
    const view = planView(report);
    assert.ok(isPlanView(view), report.modelName);
    assert.ok(isPlanHostToWebview({ type: 'state', state: { kind: 'plan', plan: view, computing: false } }));
    // It survives the structured clone of postMessage as JSON does.
    assert.ok(isPlanView(JSON.parse(JSON.stringify(view))));
  }
});

test('the plan view: GPUs then RAM, segments summing to the total when the plan fits', () => {
  const view = planView(gpuReport);
  assert.deepEqual(view.devices.map((d) => d.label), ['GPU0 RTX 3060', 'RAM']);
  for (const d of view.devices) {
    assert.equal(Math.round(d.segments.reduce((s, x) => s + x.mib, 0)), d.totalMiB, d.label);
    assert.equal(d.overMiB, 0);
  }
  const gpu = itemAt(view.devices, 0);
  assert.deepEqual(gpu.segments.map((s) => s.kind), ['weights', 'kv', 'compute', 'other', 'margin', 'free']);
  assert.equal(gpu.segments.find((s) => s.kind === 'margin')?.mib, 1024);
  assert.equal(planView({ ...gpuReport, marginMiB: 2048 }).devices[0]?.marginMiB, 2048);
});

test('host-to-webview guard refuses malformed states', () => {
  const view = planView(gpuReport);
  assert.ok(isPlanHostToWebview({ type: 'copied' }));
  assert.ok(isPlanPanelState({ kind: 'none' }));
  assert.ok(isPlanPanelState({ kind: 'computing' }));
  assert.ok(isPlanPanelState({ kind: 'error', message: 'No model is configured.' }));
  assert.ok(isPlanPanelState({ kind: 'plan', plan: view, computing: true, error: 'x' }));
  assert.ok(!isPlanPanelState({ kind: 'error' }));
  assert.ok(!isPlanPanelState({ kind: 'plan', plan: view }));
  assert.ok(!isPlanPanelState({ kind: 'plan', plan: view, computing: false, error: 3 }));
  assert.ok(!isPlanHostToWebview({ type: 'state', state: { kind: 'bogus' } }));
  assert.ok(!isPlanHostToWebview({ type: 'snapshot' }));
  assert.ok(!isPlanHostToWebview(null));
  assert.ok(!isPlanView({ ...view, devices: [{ ...view.devices[0], totalMiB: -1 }] }));
  assert.ok(!isPlanView({ ...view, devices: [{ ...view.devices[0], weightsMiB: Number.NaN }] }));
  assert.ok(!isPlanView({ ...view, devices: [{ ...view.devices[0], segments: [{ kind: 'bogus', mib: 1 }] }] }));
  assert.ok(!isPlanView({ ...view, source: 'guess' }));
  assert.ok(!isPlanView({ ...view, reasons: [1] }));
  assert.ok(!isPlanView({ ...view, commandLine: undefined }));
});

test('webview-to-host guard: exactly three payload-free messages', () => {
  for (const type of ['ready', 'copyCommand', 'computePlan']) assert.ok(isPlanWebviewToHost({ type }));
  assert.ok(!isPlanWebviewToHost({ type: 'copyCommand', text: 'rm -rf /' }));
  assert.ok(!isPlanWebviewToHost({ type: 'send' }));
  assert.ok(!isPlanWebviewToHost('ready'));
  assert.ok(!isPlanWebviewToHost(undefined));
});

test('the plan page has the CSP of the webview rules and no inline script or style', () => {
  const nonce = 'bm9uY2Utbm9uY2Utbm9uY2U=';
  const cspSource = 'https://*.vscode-cdn.net';
  const html = webviewHtml({ cspSource, nonce, title: 'Headroom: Memory Plan', scriptUri: 'https://x/dist/webview/plan.js', styleUri: 'https://x/media/plan.css' });
  assert.ok(html.includes(`content="default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource}; font-src ${cspSource}"`));
  assert.equal(webviewCsp(cspSource, nonce), `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${cspSource}; img-src ${cspSource}; font-src ${cspSource}`);
  assert.ok(html.includes('<title>Headroom: Memory Plan</title>'));
  assert.doesNotMatch(html, /<style\b|\sstyle=|unsafe-|connect-src/);
  assert.equal([...html.matchAll(/<script\b/g)].length, 1);
});

class FakeSource implements PlanSource {
  plan: PlanReport | undefined;
  readonly changes = new Emitter<PlanReport | undefined>();
  readonly onDidChangePlan = this.changes.event;
  computed: Array<{ resolve(r: PlanReport): void; reject(e: unknown): void }> = [];
  computePlan(): Promise<PlanReport> {
    return new Promise((resolve, reject) => this.computed.push({ resolve, reject }));
  }
  announce(report: PlanReport | undefined): void {
    this.plan = report;
    this.changes.fire(report);
  }
}

function setup(initial?: PlanReport) {
  const source = new FakeSource();
  source.plan = initial;
  const posted: PlanHostToWebview[] = [];
  const copied: string[] = [];
  const warnings: string[] = [];
  const controller = new PlanPanelController(source, {
    copyToClipboard: async (text) => {
      copied.push(text);
    },
    warn: (message) => warnings.push(message),
  });
  controller.attach({ post: (m) => posted.push(m) });
  const lastState = () => {
    const states = posted.filter((m) => m.type === 'state');
    const last = states[states.length - 1];
    assert.ok(last && last.type === 'state');
    return last.state;
  };
  return { source, controller, posted, copied, warnings, lastState };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('panel: `ready` gets the running plan; a new plan is pushed as it comes', () => {
  const { source, controller, lastState } = setup(gpuReport);
  controller.receive({ type: 'ready' });
  const state = lastState();
  assert.equal(state.kind, 'plan');
  assert.equal(state.kind === 'plan' && state.plan.modelName, gpuReport.modelName);
  source.announce(moeReport);
  const next = lastState();
  assert.equal(next.kind === 'plan' && next.plan.source, 'dry-run');
  source.announce(undefined);
  assert.deepEqual(lastState(), { kind: 'none' });
});

test('panel: with no plan, "Plan the configured model" computes one and shows it', async () => {
  const { source, controller, posted, lastState } = setup();
  controller.receive({ type: 'ready' });
  assert.deepEqual(lastState(), { kind: 'none' });
  controller.receive({ type: 'computePlan' });
  assert.deepEqual(lastState(), { kind: 'computing' });
  controller.receive({ type: 'computePlan' });
  assert.equal(source.computed.length, 1, 'one plan at a time');
  itemAt(source.computed, 0).resolve(cpuReport);
  await tick();
  const state = lastState();
  assert.equal(state.kind === 'plan' && state.plan.modelName, cpuReport.modelName);
  assert.equal(state.kind === 'plan' && state.computing, false);
  assert.ok(posted.length >= 3);
});

test('panel: a failed plan shows the error, with its hint; over a plan, the plan stays', async () => {
  const { source, controller, lastState } = setup();
  void controller.computePlan();
  itemAt(source.computed, 0).reject(new HeadroomError('No model is configured.', 'Run "Headroom: Select Model..." first.'));
  await tick();
  assert.deepEqual(lastState(), { kind: 'error', message: 'No model is configured. Run "Headroom: Select Model..." first.' });
  source.announce(gpuReport);
  void controller.computePlan();
  itemAt(source.computed, 1).reject(new Error('boom'));
  await tick();
  const state = lastState();
  assert.equal(state.kind, 'plan');
  assert.equal(state.kind === 'plan' && state.error, 'boom');
});

test('panel: a plan the server announces wins over a slower computePlan', async () => {
  const { source, controller, lastState } = setup();
  void controller.computePlan();
  source.announce(moeReport);
  itemAt(source.computed, 0).resolve(cpuReport);
  await tick();
  const state = lastState();
  assert.equal(state.kind === 'plan' && state.plan.modelName, moeReport.modelName);
});

test('panel: Copy copies the host\'s own command line and says so; malformed messages are dropped', async () => {
  const { controller, posted, copied, warnings } = setup(gpuReport);
  controller.receive({ type: 'copyCommand' });
  await tick();
  assert.deepEqual(copied, [gpuReport.commandLine]);
  assert.deepEqual(posted[posted.length - 1], { type: 'copied' });
  controller.receive({ type: 'copyCommand', text: 'evil' });
  controller.receive({ type: 'nope' });
  await tick();
  assert.equal(copied.length, 1);
  assert.equal(warnings.length, 2);
});
