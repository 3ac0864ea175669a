export { openStore, Store, type OpenStoreOptions } from './store.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { SCHEMA_VERSION } from './migrations.js';
export { stateColumns, type RuleStateColumns } from './state.js';
export { processIsAlive, type ProcessIsAlive } from './liveness.js';
export type { DistBatch, CommitResult } from './sql/commitDistBatch.js';
export type * from './types.js';
export { stateDbPath } from './path.js';
