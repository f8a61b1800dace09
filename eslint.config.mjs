// ESLint flat config. The sandbox rule keeps I/O out of the code the workflow bundle contains:
// workflow code is replayed and must stay deterministic, so every network, database, file or clock
// access lives in activities/. `test/integration/sandbox-bundle.test.ts` bundles the workflows and
// fails if a bundled project file is outside `sandboxFiles`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The sandbox-safe folders: everything the workflow bundle may contain. */
export const sandboxFiles = [
  'workflows/**/*.ts',
  'src/core/**/*.ts',
  'src/runtime/**/*.ts',
  'src/tools/**/*.ts',
];

const ioModules = [
  'pg',
  'openai',
  '@anthropic-ai/sdk',
  'ioredis',
  '@electric-sql/pglite',
  '@temporalio/client',
  '@temporalio/activity',
  '@temporalio/worker',
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'child_process',
  'crypto',
  'os',
  'path',
  'worker_threads',
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.venv/**',
      '.data/**',
      'coverage/**',
      'test/fixtures/consumer/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: sandboxFiles,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({
            name,
            message: 'Sandbox code must not do I/O: move it to an activity (activities/).',
          })),
          patterns: [
            { group: ['node:*'], message: 'Node built-ins are not allowed in sandbox code.' },
            {
              group: [
                '**/activities/*',
                '**/activities',
                '**/client/*',
                '**/llm/*',
                '**/llm',
                '**/testing/*',
                '**/worker/*',
                '**/worker',
                '**/persistence/*',
                '**/events/*',
                '**/state/*',
              ],
              allowTypeImports: true,
              message: 'Sandbox code may import only types from I/O modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: {
        module: 'readonly',
        require: 'readonly',
        process: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
);
