import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Layers import only downward: core/ knows nothing of the hosts or the UI. */
const coreBoundary = {
  patterns: [
    { group: ['electron', 'electron/*'], message: 'core/ runs in every host; Electron belongs in electron/.' },
    { group: ['react', 'react-dom', 'react/*', 'react-dom/*'], message: 'core/ has no UI; React belongs in renderer/.' },
    { group: ['**/electron/**', '**/renderer/**', '**/cli/**'], message: 'core/ may not import from electron/, renderer/ or cli/.' },
  ],
};

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', 'out/**', 'release/**', 'test-results/**', 'playwright-report/**', '.probe/**', 'coverage/**', '**/*.d.ts', 'core/store/sidecarValidator.generated.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.mjs'],
    rules: {
      // JSDoc-typed JavaScript: the values at the wire and from parquet-wasm are untyped
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['core/**'],
    rules: { 'no-restricted-imports': ['error', coreBoundary] },
  },
  {
    // the renderer reaches core only through the API contract, and only for its types
    files: ['renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)core/(?!api/contract(\\.js)?$)', message: 'renderer/ reaches core only through core/api/contract (types).' },
            { group: ['electron', 'node:*'], message: 'the renderer runs in a sandboxed page: no Electron or Node.js.' },
          ],
        },
      ],
    },
  },
  {
    files: ['eslint.config.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
