// Lint = code habits + the import rules of DESIGN.md §2. A wrong import fails `npm run check`,
// and the message says what to use instead.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS =
  '^(node:.*|assert|async_hooks|buffer|child_process|cluster|crypto|dgram|dns|events|fs|fs/promises|http|http2|https|net|os|path|perf_hooks|process|readline|stream|tls|url|util|v8|vm|worker_threads|zlib)$';

/** Builds a no-restricted-imports rule from [regex, message] pairs. */
function forbid(...groups) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns: groups.map(([regex, message]) => ({ regex, message })) },
    ],
  };
}

const noServer = ['(^|/)server(/|$)', 'Only server/ may import server code; share it through engine/ instead.'];
const noRenderer = ['(^|/)renderer(/|$)', 'renderer/ is the UI bundle; nothing else imports it.'];
const noMain = ['(^|/)main(/|$)', 'main/ is the Electron main process; talk to it through preload/ and engine/contract.'];
const noPreload = ['(^|/)preload(/|$)', 'preload/ is the Electron bridge; nothing imports it.'];
const noNode = [NODE_BUILTINS, 'This layer runs outside Node (workers, renderer, browser): pass what you need in as arguments.'];
const onlyContract = [
  '(^|/)engine/(?!contract(/|$))',
  'main/ and preload/ may import only engine/contract (the wire contract), not domain logic.',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'tests/artifacts/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'smart'],
    },
  },
  { files: ['engine/**/*.ts'], rules: forbid(noServer, noRenderer, noMain, noPreload, noNode) },
  { files: ['server/**/*.ts'], rules: forbid(noRenderer, noMain, noPreload) },
  { files: ['renderer/**/*.{ts,tsx}'], rules: forbid(noServer, noMain, noPreload, noNode) },
  { files: ['preload/**/*.ts'], rules: forbid(noServer, noRenderer, noMain, onlyContract) },
  { files: ['main/**/*.ts'], rules: forbid(noServer, noRenderer, noPreload, onlyContract) },
  {
    files: ['bin/**/*.js', 'tests/**/*.{js,mjs}', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
