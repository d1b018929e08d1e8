// ESLint flat config. Pure modules (planner, snapshot compile, policies) may not import I/O.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = ['pg', 'minio', 'hono', 'hono/*', 'undici', '@electric-sql/pglite', 'node:*']

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.fado/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: [
      'control/snapshot/compile.ts',
      'control/replication/plan.ts',
      'edge/policies/*.ts',
      'edge/snapshot.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ioModules }],
    },
  },
)
