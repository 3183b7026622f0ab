// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders that hold pure logic: no sockets, files, clocks or Kubernetes client. */
const pureFolders = ['operator/compile/**', 'dnsserver/routing/**', 'dnsserver/wire/**'];
const ioModules = [
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:dgram',
  'node:http',
  'node:https',
  'node:tls',
  'node:child_process',
  'node:worker_threads',
  'fs',
  'net',
  'dgram',
  'http',
  'https',
  '@kubernetes/client-node',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', '.tools/**', 'bench/out/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: pureFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ioModules.map((name) => ({ name, message: 'pure logic: no I/O here' })) },
      ],
    },
  },
  {
    files: ['dnsserver/wire/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'pure logic: no I/O here' })),
          patterns: [
            {
              group: ['**/zone/**', '**/routing/**', '**/api/**'],
              message: 'the wire code knows nothing of zones or policies',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['operator/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/dnsserver/wire/**'], message: 'the operator never imports the wire code' }] },
      ],
    },
  },
);
