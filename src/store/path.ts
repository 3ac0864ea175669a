import { join } from 'node:path';

/** The state database inside the configured stateDir. */
export function stateDbPath(stateDir: string): string {
  return join(stateDir, 'dfe-sync.db');
}
