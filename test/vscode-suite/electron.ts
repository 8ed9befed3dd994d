// The entry @vscode/test-electron loads as extensionTestsPath (scripts/test-vscode.mjs): runs the API suite.
import { runWithMocha } from './mocha';
import { apiTests } from './suite';

export async function run(): Promise<void> {
  const results = await runWithMocha(apiTests);
  const failed = results.filter((r) => r.state === 'failed');
  if (failed.length) throw new Error(`${failed.length} of ${results.length} API tests failed`);
}
