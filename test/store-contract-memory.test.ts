import { createMemoryStore } from '../src/storage/memory/memory-store.js';
import { runStoreContract } from './store-contract.js';

runStoreContract('memory', async () => {
  const store = createMemoryStore();
  return { store, cleanup: () => store.close() };
});
