// `npm run lint` (run first by `npm test` and `npm run test:unit`) must report nothing.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['out/', 'dist/', 'node_modules', 'test-results/', '.headroom-demo/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    // Build and test scripts (plain ESM run by node): the rules that need no type information.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.recommended],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test awaits top-level test()/describe() itself; a subtest (t.test) still needs its await.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off: `async` without `await` is how fakes and small readers implement a Promise-returning interface
      // (a throw still becomes a rejection, which Promise.resolve() would not give).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.{ts,mjs}'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      eqeqeq: 'error',
      'no-console': 'error',
    },
  },
  {
    // Command-line programs and scripts: the terminal is their output.
    files: ['src/extension/cli/**', 'scripts/**', 'esbuild.mjs', 'test/bench/**', 'test/fixtures/gguf/cli.ts'],
    rules: { 'no-console': 'off' },
  },
);
