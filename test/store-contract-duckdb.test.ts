import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDuckDbStore } from '../src/storage/duckdb/duckdb-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('duckdb', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tickpipe-duckdb-contract-'));
  const store = createDuckDbStore({ path: join(dir, 'nested', 'market.duckdb') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
