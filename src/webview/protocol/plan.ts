/**
 * Every message between the extension host and the memory-plan webview, with runtime guards. The host
 * turns a PlanReport into a PlanView (memory/planView.ts), so the webview only draws numbers it is given.
 * Anything that fails a guard is dropped (and logged by the host).
 */

import { isRecord, isString, isBoolean, isFiniteNumber, isStringArray } from './guards';

/** The parts of a device's bar, left to right. 'other': memory other programs already use. */
export type SegmentKind = 'weights' | 'kv' | 'compute' | 'other' | 'margin' | 'free';
export const SEGMENT_KINDS: readonly SegmentKind[] = ['weights', 'kv', 'compute', 'other', 'margin', 'free'];

export interface PlanDeviceView {
  /** "CUDA0 RTX 3060", "RAM". */
  label: string;
  kind: 'gpu' | 'ram';
  totalMiB: number;
  /** In use by other programs before the model loads. */
  otherMiB: number;
  weightsMiB: number;
  kvMiB: number;
  computeMiB: number;
  /** Free after the model loads (may be negative when it does not fit). */
  leftMiB: number;
  /** The margin the plan keeps free on this device. */
  marginMiB: number;
  /** The bar: MiB per part, summing to max(totalMiB, what is asked of the device). */
  segments: Array<{ kind: SegmentKind; mib: number }>;
  /** MiB beyond the device's free memory less its margin; 0 when it fits. */
  overMiB: number;
}

export interface PlanFact {
  label: string;
  value: string;
}

/** One candidate a tuning run measured: tokens/s said as "median [interval] n=runs". */
export interface TuningRowView {
  label: string;
  settings: string;
  isDefault: boolean;
  isWinner: boolean;
  prompt: string;
  generation: string;
}

/** The last tuning run of this model ("Headroom: Tune for This Machine"): what was tried, and what won. */
export interface TuningView {
  goal: string;
  summary: string;
  /** Why it stopped, and after how long, in words. */
  stopped: string;
  rows: TuningRowView[];
}

export interface PlanView {
  modelName: string;
  modelPath: string;
  source: 'estimate' | 'dry-run';
  /** "dry run of this llama.cpp build" or "estimate ...". */
  sourceLabel: string;
  fits: boolean;
  devices: PlanDeviceView[];
  /** GPU layers, context, KV cache, flash attention, threads, mmap, batch. */
  facts: PlanFact[];
  reasons: string[];
  warnings: string[];
  commandLine: string;
  tuning?: TuningView;
}

/** What the panel shows: a plan, or why there is none yet. */
export type PlanPanelState =
  | { kind: 'none' }
  | { kind: 'computing' }
  | { kind: 'error'; message: string }
  /** Chat uses a server Headroom did not start: its memory is its own, `by` says whose ("managed by Ollama at URL"). */
  | { kind: 'managed'; by: string }
  /** `error`: planning again failed; the plan shown is the one before. */
  | { kind: 'plan'; plan: PlanView; computing: boolean; error?: string };

export type PlanHostToWebview = { type: 'state'; state: PlanPanelState } | { type: 'copied' };

export type PlanWebviewToHost = { type: 'ready' } | { type: 'copyCommand' } | { type: 'computePlan' };

const isMiB = (v: unknown): v is number => isFiniteNumber(v) && v >= 0;

function isSegment(v: unknown): v is { kind: SegmentKind; mib: number } {
  return isRecord(v) && SEGMENT_KINDS.includes(v.kind as SegmentKind) && isMiB(v.mib);
}

export function isPlanDeviceView(v: unknown): v is PlanDeviceView {
  return (
    isRecord(v) &&
    isString(v.label) &&
    (v.kind === 'gpu' || v.kind === 'ram') &&
    isMiB(v.totalMiB) &&
    isMiB(v.otherMiB) &&
    isMiB(v.weightsMiB) &&
    isMiB(v.kvMiB) &&
    isMiB(v.computeMiB) &&
    isFiniteNumber(v.leftMiB) &&
    isMiB(v.marginMiB) &&
    Array.isArray(v.segments) &&
    v.segments.every(isSegment) &&
    isMiB(v.overMiB)
  );
}

function isPlanFact(v: unknown): v is PlanFact {
  return isRecord(v) && isString(v.label) && isString(v.value);
}

function isTuningRow(v: unknown): v is TuningRowView {
  return isRecord(v) && isString(v.label) && isString(v.settings) && isBoolean(v.isDefault) && isBoolean(v.isWinner) && isString(v.prompt) && isString(v.generation);
}

export function isTuningView(v: unknown): v is TuningView {
  return isRecord(v) && isString(v.goal) && isString(v.summary) && isString(v.stopped) && Array.isArray(v.rows) && v.rows.every(isTuningRow);
}

export function isPlanView(v: unknown): v is PlanView {
  return (
    isRecord(v) &&
    isString(v.modelName) &&
    isString(v.modelPath) &&
    (v.source === 'estimate' || v.source === 'dry-run') &&
    isString(v.sourceLabel) &&
    isBoolean(v.fits) &&
    Array.isArray(v.devices) &&
    v.devices.every(isPlanDeviceView) &&
    Array.isArray(v.facts) &&
    v.facts.every(isPlanFact) &&
    isStringArray(v.reasons) &&
    isStringArray(v.warnings) &&
    isString(v.commandLine) &&
    (v.tuning === undefined || isTuningView(v.tuning))
  );
}

export function isPlanPanelState(v: unknown): v is PlanPanelState {
  if (!isRecord(v)) return false;
  switch (v.kind) {
    case 'none':
    case 'computing':
      return true;
    case 'error':
      return isString(v.message);
    case 'managed':
      return isString(v.by);
    case 'plan':
      return isPlanView(v.plan) && isBoolean(v.computing) && (v.error === undefined || isString(v.error));
    default:
      return false;
  }
}

export function isPlanHostToWebview(v: unknown): v is PlanHostToWebview {
  if (!isRecord(v)) return false;
  switch (v.type) {
    case 'state':
      return isPlanPanelState(v.state);
    case 'copied':
      return true;
    default:
      return false;
  }
}

/** Strict: the webview may only ask for these three things, with no payload. */
export function isPlanWebviewToHost(v: unknown): v is PlanWebviewToHost {
  return (
    isRecord(v) &&
    Object.keys(v).length === 1 &&
    (v.type === 'ready' || v.type === 'copyCommand' || v.type === 'computePlan')
  );
}
