import { MemoryDatabase } from '../../src/db/index.js';
import { describeDatabaseContract } from './contract.js';

describeDatabaseContract('memory', () => new MemoryDatabase(), { shared: false });
