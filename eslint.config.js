// @ts-check
// Module boundaries (pure logic without I/O, wire apart from zones, the server apart from the operator, ...) are
// not lint rules: dependency-cruiser holds them over the whole import graph (scripts/boundaries.ts, in npm test).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // One private-member style: JavaScript's #private, which the runtime enforces, not TypeScript's `private`,
    // which only the compiler does. A private constructor has no # form and stays allowed.
    files: ['{api,lib,operator,dnsserver,cli}/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'PropertyDefinition[accessibility="private"]',
          'AccessorProperty[accessibility="private"]',
          'MethodDefinition[accessibility="private"][kind!="constructor"]',
          'TSParameterProperty[accessibility="private"]',
        ].map((selector) => ({ selector, message: 'Use a #private member instead of TypeScript `private`.' })),
      ],
    },
  },
);
