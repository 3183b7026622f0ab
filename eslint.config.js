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

/**
 * The DNS worker threads' code: it may use the API's types, but its values only from the plain modules (constants,
 * location), never the schema modules, which would load TypeBox (hundreds of modules) into every worker.
 */
const workerFolders = [
  'dnsserver/answer/**',
  'dnsserver/zone/**',
  'dnsserver/geoip/**',
  'dnsserver/transport/**',
  'dnsserver/server/**',
  'dnsserver/observability/**',
  'dnsserver/handler.ts',
];
const schemaModules = ['resources', 'health', 'compiled', 'validate', 'cel', 'crd', 'load'].map(
  (m) => `**/api/${m}.ts`,
);

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
    files: workerFolders,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: schemaModules,
              allowTypeImports: true,
              message: 'worker-thread code takes API values from api/constants.ts or api/location.ts, not the schemas',
            },
          ],
        },
      ],
    },
  },
  {
    // Pure and run by the workers: both rules in one block (a later block would replace an earlier one's).
    files: ['dnsserver/routing/**', 'dnsserver/rrl/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'pure logic: no I/O here' })),
          patterns: [
            {
              group: schemaModules,
              allowTypeImports: true,
              message: 'worker-thread code takes API values from api/constants.ts or api/location.ts, not the schemas',
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
