import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'renderer/dist/**', '**/*.svelte'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // core/ is shared by the CLI, the app and the agent; it must never pull Electron in.
    },
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'], patterns: ['electron/*'] }] },
  },
  // The layers of core/ (docs/architecture.md), lowest first. A folder imports only from the
  // folders below it; a wrong import fails `npm run lint`. Type-only imports upwards are allowed
  // (they vanish at run time): the Event Log writer names the audit operations it has ids for.
  ...layers([
    ['trust', []],
    ['pki', ['trust']],
    ['platform', []],
    ['store', ['pki', 'platform', 'trust']],
    ['audit', ['store', 'platform', 'trust']],
    ['backup', ['store', 'pki', 'trust']],
    ['ops', ['audit', 'backup', 'store', 'pki', 'platform', 'trust']],
    ['protocol', ['trust']],
    ['agent', ['protocol', 'store', 'trust']],
    ['fleet', ['protocol', 'audit', 'store', 'trust']],
    ['api', ['ops', 'fleet', 'audit', 'backup', 'store', 'pki', 'platform', 'protocol', 'trust']],
    ['simulator', ['agent', 'fleet', 'protocol', 'trust']],
  ]),
  {
    // core/'s shared modules (errors, schemas, csv) are the bottom layer: they import none of its folders.
    files: ['core/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'], patterns: [{ group: ['./*/*'], message: "core/'s shared modules import none of its folders." }] }] },
  },
);

/**
 * One config per folder of core/: everything that is not below it (and not the shared modules
 * at core/'s root: errors, schemas, csv) is refused, and so is Electron.
 */
function layers(order) {
  const all = ['trust', 'pki', 'platform', 'store', 'audit', 'backup', 'ops', 'protocol', 'agent', 'fleet', 'api', 'simulator', 'cli'];
  return order.map(([folder, below]) => {
    const above = all.filter((f) => f !== folder && !below.includes(f));
    return {
      files: [`core/${folder}/**/*.ts`],
      rules: {
        'no-restricted-imports': 'off',
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            paths: ['electron'],
            patterns: [
              { group: ['electron/*'], message: 'core/ never imports Electron.' },
              {
                group: above.map((f) => `../${f}/*`),
                allowTypeImports: true,
                message: `core/${folder} may import only from ${below.length ? below.map((f) => `core/${f}`).join(', ') + ' and ' : ''}core/'s shared modules (docs/architecture.md).`,
              },
            ],
          },
        ],
      },
    };
  });
}
