// Lint: typescript-eslint's recommended rules, plus checks that need type information from
// tsconfig.json: promises neither awaited nor handled, promises passed where a plain callback
// is expected, and switches over unions that miss a case. `npm run lint`; .ci/run runs it.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'build/', 'data/', 'bench/results/', '**/testdata/'],
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Plain-JS entry points outside tsconfig.json's include get a default project.
          allowDefaultProject: ['eslint.config.js', 'bin/*.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits and reports.
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // A switch with a default branch handles the other members on purpose; one without must name them all.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // As tsc's noUnusedParameters: `_name` marks a parameter a signature imposes; `{ a: _a, ...rest }` drops a property.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // A variable a callback reads before its one assignment stays `let` (const would be in its dead zone).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
);
