// Runs the API suite with mocha's programmatic API (no globals, no file loading), the same way under
// @vscode/test-electron and inside code-server. Typed here with the few parts of mocha it uses.
export interface ApiTest {
  suite: string;
  title: string;
  fn: () => Promise<void>;
  timeoutMs?: number;
}

export interface ApiTestResult {
  suite: string;
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: string;
}

interface MochaTest {
  title: string;
  duration?: number;
  parent?: { title: string };
  timeout(ms: number): void;
}
interface MochaSuite {
  addTest(test: MochaTest): void;
}
interface MochaRunner {
  on(event: 'pass', listener: (test: MochaTest) => void): MochaRunner;
  on(event: 'fail', listener: (test: MochaTest, err: Error) => void): MochaRunner;
}
interface MochaInstance {
  suite: MochaSuite;
  run(done: (failures: number) => void): MochaRunner;
}
interface MochaModule {
  new (options: { ui: string; reporter: string; timeout: number; color: boolean }): MochaInstance;
  Suite: { create(parent: MochaSuite, title: string): MochaSuite };
  Test: new (title: string, fn: () => Promise<void>) => MochaTest;
}

export async function runWithMocha(tests: readonly ApiTest[], reporter = 'spec'): Promise<ApiTestResult[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- mocha ships no types; MochaModule above types what is used
  const Mocha = require('mocha') as MochaModule;
  const mocha = new Mocha({ ui: 'tdd', reporter, timeout: 30_000, color: false });
  const suites = new Map<string, MochaSuite>();
  for (const t of tests) {
    let suite = suites.get(t.suite);
    if (!suite) {
      suite = Mocha.Suite.create(mocha.suite, t.suite);
      suites.set(t.suite, suite);
    }
    const test = new Mocha.Test(t.title, t.fn);
    suite.addTest(test);
    // After addTest, which gives the test its suite's timeout.
    if (t.timeoutMs) test.timeout(t.timeoutMs);
  }
  const results: ApiTestResult[] = [];
  await new Promise<void>((resolve) => {
    mocha
      .run(() => resolve())
      .on('pass', (test) => results.push({ suite: test.parent?.title ?? '', title: test.title, state: 'passed', durationMs: test.duration ?? 0 }))
      .on('fail', (test, err) =>
        results.push({ suite: test.parent?.title ?? '', title: test.title, state: 'failed', durationMs: test.duration ?? 0, error: err.stack ?? err.message }),
      );
  });
  return results;
}
