import type { StoreContext } from '../context.js';

const EVENTS = `UPDATE manifestations SET state = 'pending' WHERE cnpj = ? AND state = 'sending'`;
const TARGETED = `UPDATE targeted_queue SET state = 'pending' WHERE cnpj = ? AND state = 'sending'`;

/**
 * Events and queries a crash left in flight go back to the queue. Sending an event again
 * is safe (SEFAZ answers 573 for one already registered, which counts as done); a
 * targeted query sent again was already counted against the hour before it left.
 */
export function resumeInterruptedWork(ctx: StoreContext, cnpj: string): void {
  ctx.db.transaction(() => {
    ctx.stmt(EVENTS).run(cnpj);
    ctx.stmt(TARGETED).run(cnpj);
  }).immediate();
}
