import type { StoreContext } from '../context.js';
import { stateColumns, type RuleStateColumns } from '../state.js';
import type { CompanyInput } from '../types.js';

const INSERT = `
  INSERT INTO companies (cnpj, name, enabled, capture_window, rule_state, ultNSU, maxNSU,
    next_dist_at, next_dist_reason, blocked_until, stopped, created_at, updated_at)
  VALUES (@cnpj, @name, @enabled, @window, @rule_state, @ultNSU, @maxNSU,
    @next_dist_at, @next_dist_reason, @blocked_until, @stopped, @now, @now)
  ON CONFLICT (cnpj) DO NOTHING`;

// Only what the configuration owns: the cursor and every wait belong to the rule state.
const UPDATE = `
  UPDATE companies SET name = @name, enabled = @enabled, capture_window = @window, updated_at = @now
  WHERE cnpj = @cnpj AND (name IS NOT @name OR enabled IS NOT @enabled OR capture_window IS NOT @window)`;

/**
 * Adds the configured companies the store has not seen, with their initial state, and
 * updates name/enabled/window of the others, in one transaction (10,000 companies at
 * start-up must not cost 10,000 fsyncs). Never touches a stored cursor.
 */
export function upsertCompanies<S extends RuleStateColumns>(
  ctx: StoreContext,
  companies: readonly CompanyInput<S>[],
): { created: string[] } {
  const now = ctx.clock.now();
  return ctx.db
    .transaction(() => {
      const created: string[] = [];
      for (const company of companies) {
        const config = { cnpj: company.cnpj, name: company.name, enabled: company.enabled ? 1 : 0, window: company.window, now };
        const inserted = ctx.stmt(INSERT).run({ ...config, ...stateColumns(company.cnpj, company.initialState) });
        if (inserted.changes === 1) created.push(company.cnpj);
        else ctx.stmt(UPDATE).run(config);
      }
      return { created };
    })
    .immediate();
}
