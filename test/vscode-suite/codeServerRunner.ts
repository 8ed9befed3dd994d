// Inside code-server: the runner extension (test/vscode-suite/runner-extension) calls this on activation. It runs
// the API suite and writes the results as JSON to $HEADROOM_VSCODE_SUITE_RESULTS, which the e2e harness reads.
import { renameSync, writeFileSync } from 'node:fs';
import { runWithMocha, type ApiTestResult } from './mocha';
import { apiTests } from './suite';

export interface SuiteReport {
  done: boolean;
  results: ApiTestResult[];
  error?: string;
}

export async function activate(): Promise<void> {
  const path = process.env.HEADROOM_VSCODE_SUITE_RESULTS;
  if (!path) return;
  let report: SuiteReport;
  try {
    report = { done: true, results: await runWithMocha(apiTests) };
  } catch (err) {
    report = { done: true, results: [], error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  writeFileSync(`${path}.tmp`, JSON.stringify(report, null, 2));
  renameSync(`${path}.tmp`, path);
}
