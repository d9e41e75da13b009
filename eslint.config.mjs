import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build-test/**', 'coverage/**', '.nyc_output/**', 'node_modules/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // @remnawave/backend-contract is AGPL-3.0: a devDependency for the test fake only, never shipped.
    files: ['src/**', 'workers/**', 'migrations/**', 'seeds/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@remnawave/*'], message: 'AGPL-3.0 contract package: only test/fakes may import it.' }] },
      ],
    },
  },
  {
    // CLI entry points talk to a human on the terminal.
    files: ['src/cli/**', 'scripts/**', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // The one plain CommonJS file: what the knex CLI loads before any TypeScript hook exists.
    files: ['knexfile.js', 'ecosystem.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // chai's expect(...).to.be.true style reads as an unused expression.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
