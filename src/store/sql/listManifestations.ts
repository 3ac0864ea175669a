import type { StoreContext } from '../context.js';
import type { Manifestation } from '../types.js';
import { manifestationFromRow, type ManifestationRow } from './manifestationRows.js';

const OF = 'SELECT * FROM manifestations WHERE cnpj = ? ORDER BY queued_at, chNFe';
const FOR_KEY = 'SELECT * FROM manifestations WHERE cnpj = ? AND chNFe = ? ORDER BY queued_at';

export function listManifestations(ctx: StoreContext, cnpj: string, chNFe?: string): Manifestation[] {
  const rows = (chNFe === undefined ? ctx.stmt(OF).all(cnpj) : ctx.stmt(FOR_KEY).all(cnpj, chNFe)) as ManifestationRow[];
  return rows.map(manifestationFromRow);
}
