/**
 * A recipient's event as people read it: its name with the accents SEFAZ's schema leaves
 * out, and what became of it in one phrase. Pure; `manifest` and `pending` both say it.
 */
import { formatLocalDate, formatLocalTime } from '../time/zone.js';
import { EVENT_TYPES, type EventCode } from '../sefaz/events.js';
import type { Manifestation } from '../store/index.js';
import type { When } from './problems.js';

/** The events' names as the MOC writes them (descEvento on the wire has no accents). */
export const EVENT_LABELS: Readonly<Record<EventCode, string>> = {
  '210200': 'Confirmação da Operação',
  '210210': 'Ciência da Operação',
  '210220': 'Desconhecimento da Operação',
  '210240': 'Operação não Realizada',
};

/** `ciencia`, `confirmacao`…: the CLI's word for an event. */
export const eventName = (code: EventCode): string => EVENT_TYPES[code].name;

export type ManifestationFacts = Pick<Manifestation, 'tpEvento' | 'state' | 'outcome' | 'cStat' | 'xMotivo' | 'nProt' | 'doneAt'> &
  Partial<Pick<Manifestation, 'attempts' | 'queuedAt' | 'sentAt' | 'nextAttemptAt'>>;

const local = (at: number, w: When): string => `${formatLocalDate(at, w.timeZone)} ${formatLocalTime(at, w.timeZone)}`;

/** `cStat 596 "Rejeição: …"`, or '' when SEFAZ said nothing. */
export function sefazSaid(cStat: string | null, xMotivo: string | null): string {
  if (cStat === null) return '';
  return xMotivo === null || xMotivo === '' ? `cStat ${cStat}` : `cStat ${cStat} "${xMotivo}"`;
}

const on = (at: number | null | undefined, w: When): string => (at === null || at === undefined ? '' : ` on ${local(at, w)}`);

/** What became of the event, e.g. `registered by SEFAZ on 2026-11-19 14:02 (cStat 135, nProt 1352…)`. */
export function manifestationWords(m: ManifestationFacts, w: When): string {
  const said = sefazSaid(m.cStat, m.xMotivo);
  switch (m.state) {
    case 'pending': {
      const queued = m.queuedAt === undefined ? 'queued' : `queued${on(m.queuedAt, w)}`;
      if (m.attempts === undefined || m.attempts === 0) return `${queued}, not sent yet`;
      const last = said === '' ? 'no answer' : said;
      const next = m.nextAttemptAt === undefined ? '' : `; tried again from ${local(m.nextAttemptAt, w)}`;
      return `${queued}; ${m.attempts} attempt${m.attempts === 1 ? '' : 's'} got no final answer (last: ${last})${next}`;
    }
    case 'sending':
      return `being sent${on(m.sentAt, w)}`;
    case 'done': {
      const facts = [m.cStat === null ? null : `cStat ${m.cStat}`, m.nProt === null ? null : `nProt ${m.nProt}`].filter((f) => f !== null);
      const detail = facts.length === 0 ? '' : ` (${facts.join(', ')})`;
      if (m.outcome === 'duplicate') return `already registered at SEFAZ before${on(m.doneAt, w)}${detail}`;
      if (m.outcome === 'superseded') return `moot: SEFAZ already holds a conclusive manifestation for this NF-e${on(m.doneAt, w)}${detail}`;
      return `registered by SEFAZ${on(m.doneAt, w)}${detail}`;
    }
    case 'failed':
      if (m.cStat === null) return `not sent: ${m.xMotivo ?? 'dfe-sync could not build it'}`;
      if (m.outcome === 'out-of-deadline') return `refused by SEFAZ as out of deadline${on(m.doneAt, w)} (${said})`;
      if (m.outcome === 'cancelled-or-denied') return `refused by SEFAZ${on(m.doneAt, w)}: the NF-e is cancelled or denied (${said})`;
      return `refused for good by SEFAZ${on(m.doneAt, w)} (${said})`;
  }
}
