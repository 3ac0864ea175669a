import { describe, expect, it } from 'vitest';
import { describeWait, formatInstant } from '../../src/rules/describe.js';

const SP = 'America/Sao_Paulo';
/** local São Paulo time (UTC-3) on 2026-11-day */
const sp = (day: number, hh: number, mm = 0, ss = 0): number => Date.UTC(2026, 10, day, hh + 3, mm, ss);
const now = sp(20, 13, 2);
const opts = { now, timeZone: SP };

describe('formatInstant', () => {
  it('shows local hh:mm the same day, seconds only when there are any, the date on another day', () => {
    expect(formatInstant(sp(20, 14, 2), opts)).toBe('14:02');
    expect(formatInstant(sp(20, 14, 2, 7), opts)).toBe('14:02:07');
    expect(formatInstant(sp(20, 14, 2) + 250, opts)).toBe('14:02:00');
    expect(formatInstant(sp(21, 5), opts)).toBe('2026-11-21 05:00');
    expect(formatInstant(sp(20, 0), { now, timeZone: 'UTC' })).toBe('03:00');
  });
});

describe('describeWait', () => {
  it('puts each distNSU wait in words with its local deadline', () => {
    expect(describeWait({ kind: 'wait', until: sp(20, 14, 2), reason: 'nothing-left' }, opts)).toBe('nothing left: waiting 1 h after 137 or ultNSU = maxNSU until 14:02');
    expect(describeWait({ kind: 'wait', until: sp(20, 14, 4), reason: 'blocked-656' }, opts)).toBe('blocked by 656 until 14:04');
    expect(describeWait({ kind: 'wait', until: sp(21, 5), reason: 'outside-window' }, opts)).toBe('outside window until 2026-11-21 05:00');
    expect(describeWait({ kind: 'wait', until: null, reason: 'outside-window' }, opts)).toBe('outside window (it never opens)');
    expect(describeWait({ kind: 'wait', until: sp(20, 14, 2), reason: 'lost-answer-maybe-137' }, opts)).toBe('answer lost, it may have been a 137: waiting 1 h until 14:02');
    expect(describeWait({ kind: 'wait', until: sp(20, 13, 2, 30), reason: 'backoff' }, opts)).toBe('backing off after a failure until 13:02:30');
    expect(describeWait({ kind: 'wait', until: null, reason: 'call-in-flight' }, opts)).toBe('a distNSU is in flight');
  });
  it('says what a call is for', () => {
    expect(describeWait({ kind: 'call', ultNSU: '000000000000100', reason: 'draining' }, opts)).toBe('draining from ultNSU 000000000000100');
    expect(describeWait({ kind: 'call', ultNSU: '000000000000000', reason: 'first' }, opts)).toBe('first distNSU, from ultNSU 000000000000000');
    expect(describeWait({ kind: 'call', ultNSU: '000000000000100', reason: 'check' }, opts)).toMatch(/checking for new documents/);
    expect(describeWait({ kind: 'call', ultNSU: '000000000000100', reason: 'retry' }, opts)).toMatch(/retrying/);
  });
  it('gives a stop its own message', () => {
    expect(describeWait({ kind: 'stopped', code: 'CNPJ_BASE_MISMATCH', cStat: '593', reason: 'stopped by SEFAZ cStat 593: x' }, opts)).toBe('stopped by SEFAZ cStat 593: x');
    expect(describeWait({ allowed: false, until: null, reason: 'stopped', detail: 'stopped: the certificate expired' }, opts)).toBe('stopped: the certificate expired');
  });
  it('puts consNSU/consChNFe decisions in words', () => {
    expect(describeWait({ allowed: true }, opts)).toBe('consNSU/consChNFe allowed now');
    expect(describeWait({ allowed: false, until: sp(20, 14, 0, 1), reason: 'targeted-limit' }, opts)).toBe('consNSU/consChNFe budget for the hour used until 14:00:01');
    expect(describeWait({ allowed: false, until: null, reason: 'targeted-limit', detail: 'targetedPerHour is 0' }, opts)).toBe('consNSU/consChNFe disabled (targetedPerHour is 0)');
    expect(describeWait({ allowed: false, until: sp(20, 14), reason: 'blocked-656' }, opts)).toBe('blocked by 656 until 14:00');
  });
});
