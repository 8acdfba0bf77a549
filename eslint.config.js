import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

/**
 * Layers of src/, lowest first (docs/ARCHITECTURE.md, "Layers"). A folder may import from lower
 * layers only; folders of one layer do not import each other, except in the layer above the
 * pipeline (report, distributed, collect). src/errors.ts is below everything. src/index.ts (the
 * library entry) may import any layer but the CLI.
 */
const LAYERS = [
  ['domain'],
  ['config'],
  ['limits', 'ledger'],
  ['providers', 'storage', 'factors'],
  ['pipeline'],
  ['report', 'distributed', 'collect'],
  ['cli'],
];
const siblingsMayImport = new Set(['report', 'distributed', 'collect']);
const layerZones = LAYERS.flatMap((layer, i) =>
  layer.flatMap((folder) => {
    const higher = LAYERS.slice(i + 1).flat();
    const siblings = siblingsMayImport.has(folder) ? [] : layer.filter((f) => f !== folder);
    if (higher.length + siblings.length === 0) return [];
    return {
      target: `./src/${folder}`,
      from: [...higher, ...siblings].map((f) => `./src/${f}`),
      message: `src/${folder} may import only lower layers (${LAYERS.slice(0, i).flat().join(', ') || 'none'}) and src/errors.ts; see docs/ARCHITECTURE.md, "Layers".`,
    };
  }),
);
layerZones.push({
  target: './src/index.ts',
  from: ['./src/cli'],
  message: 'The library entry point does not export the CLI (src/cli/main.ts is the binary).',
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'scripts/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      // Imports name the compiled `.js`; the sources are `.ts`. Without this, import-x resolves
      // nothing and its path rules (layers, cycles) check nothing.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js', '.json'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use as-const objects and unions.' },
      ],
    },
  },
);
