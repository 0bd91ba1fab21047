import { MemoryStorage } from './memory-storage.ts';
import { storageContract } from './storage.contract.ts';

storageContract('memory', async () => ({ storage: new MemoryStorage(), cleanup: async () => {} }));
