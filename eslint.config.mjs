// ESLint flat config. Pure modules (planner, snapshot compile, policies, the forwarding core)
// may not import I/O; the edge may not import control code (it shares only the snapshot
// contract, which lives in edge/).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const ioModules = ['pg', 'minio', 'hono', 'hono/*', 'undici', '@electric-sql/pglite', 'node:*']
const controlCode = ['**/control', '**/control/**']

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
    files: ['edge/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: controlCode, message: 'the edge imports nothing from control/' }] },
      ],
    },
  },
  {
    // An agent shares only its contract (agent/protocol.ts) with control, as the edge shares
    // the snapshot's: it runs where control's code and credentials do not belong.
    files: ['agent/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: controlCode, message: 'an agent imports nothing from control/' }] },
      ],
    },
  },
  {
    // The local platform (MinIO and function-server launchers, WAN relays, test credentials)
    // is for tests, benches and the demo; production code names it in types at most.
    files: ['control/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/platform', '**/platform/**'],
              allowTypeImports: true,
              message: 'platform/ is for tests, benches and the demo bundle',
            },
          ],
        },
      ],
    },
  },
  {
    files: [
      'control/snapshot/compile.ts',
      'control/replication/plan.ts',
      'control/agents/route.ts',
      'edge/policies/*.ts',
      'edge/snapshot.ts',
      'edge/forward.ts',
      'edge/routing.ts',
      'edge/request-target.ts',
      'edge/forwarded.ts',
      'edge/headers.ts',
      'edge/retry-budget.ts',
      'edge/active-health.ts',
      'edge/upstream-state.ts',
      'edge/snapshot-store.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: {
      // Replaces the edge rule above for these files, so it repeats control/.
      'no-restricted-imports': ['error', { patterns: [...ioModules, ...controlCode] }],
    },
  },
)
