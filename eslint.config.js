// Flat config. The rule that matters most: the pure core (event model, Avro mapping, batching,
// SQL generation) may not import I/O, so it stays unit-testable and reusable in workers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import noImportCycle from './eslint/no-import-cycle.mjs';

const IO_MODULES = [
  'pg',
  'pg-copy-streams',
  'kafkajs',
  'cassandra-driver',
  'piscina',
  'prom-client',
  'pino',
  '@kafkajs/confluent-schema-registry',
  'node:net',
  'node:tls',
  'node:http',
  'node:https',
  'node:fs',
  'node:fs/promises',
  'node:worker_threads',
  'node:child_process',
  'net',
  'tls',
  'http',
  'https',
  'fs',
  'fs/promises',
  'worker_threads',
  'child_process',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.stack/**', 'tools/**/target/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    // Cycles through any import (static, type-only, dynamic): eslint/import-graph.mjs.
    files: ['src/**/*.ts', 'workers/**/*.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    plugins: { local: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: { 'local/no-import-cycle': 'error' },
  },
  {
    // A file past ~350 lines holds more than one thing: split it along its seams.
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 350 }] },
  },
  {
    files: ['src/core/**', 'src/schema/**', 'src/sink/core/**', 'src/source/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: IO_MODULES.map((name) => ({ name, message: 'The pure core must not do I/O: move this to a shell.' })),
        },
      ],
    },
  },
);
