/**
 * The layering of src/ is enforced by the linter (eslint.config.js, `import-x/no-restricted-paths`;
 * docs/ARCHITECTURE.md, "Layers"): an upward import fails the lint, a downward one passes.
 * Lints in-memory fixtures with the project's own config (type-aware rules switched off: they
 * need a TypeScript program and say nothing about imports).
 */
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({
  cwd: root,
  overrideConfig: [
    {
      languageOptions: { parserOptions: { projectService: false } },
      rules: {
        '@typescript-eslint/no-floating-promises': 'off',
        '@typescript-eslint/no-misused-promises': 'off',
      },
    },
  ],
});

async function layerErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'import-x/no-restricted-paths')
    .map((m) => m.message);
}

describe('layering lint', () => {
  it.each([
    ['src/domain/x.ts', "import type { PipelineEvent } from '../pipeline/events.js';"],
    ['src/limits/x.ts', "import type { Provider } from '../providers/provider.js';"],
    ['src/providers/x.ts', "import type { Store } from '../storage/store.js';"],
    ['src/storage/x.ts', "import { runJob } from '../pipeline/run-job.js';"],
    ['src/pipeline/x.ts', "import { createPlainReporter } from '../report/plain-reporter.js';"],
    ['src/report/x.ts', "import { runCli } from '../cli/run-cli.js';"],
    ['src/index.ts', "export { runCli } from './cli/run-cli.js';"],
  ])('rejects an upward import in %s', async (filePath, code) => {
    const errors = await layerErrors(filePath, `${code}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/restricted zone/);
  });

  it.each([
    ['src/pipeline/x.ts', "import type { Provider } from '../providers/provider.js';"],
    ['src/providers/x.ts', "import type { RequestGate } from '../limits/request-gate.js';"],
    ['src/storage/x.ts', "import type { LedgerEntry } from '../ledger/ledger-entry.js';"],
    ['src/cli/x.ts', "import { createPlainReporter } from '../report/plain-reporter.js';"],
    ['src/domain/x.ts', "import { IngestError } from '../errors.js';"],
  ])('accepts a downward import in %s', async (filePath, code) => {
    expect(await layerErrors(filePath, `${code}\n`)).toEqual([]);
  });
});
