import { runStoreContract } from '../../test/store-contract.ts';
import { createMemoryStore } from './memory-store.ts';

runStoreContract('memory', async () => ({ store: createMemoryStore() }));
