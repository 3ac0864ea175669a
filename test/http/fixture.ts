/**
 * A config and a state database for the status server tests: a draining company, one
 * blocked by a 656, one waiting an hour after a 137, one with an expired certificate,
 * one disabled, one whose name and xMotivo carry markup.
 */
import { join } from 'node:path';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { applyDistAnswer, beginDistCall } from '../../src/rules/engine.js';
import { DEFAULT_RULE_SETTINGS, initialCompanyState } from '../../src/rules/state.js';
import { DAY, HOUR, NOW, addCompanies, answered, cnpj, doc, nsu, openTestStore, tempDir, writeConfig } from '../status/support.js';

export { NOW };

export const DRAINING = cnpj('110000000001');
export const BLOCKED = cnpj('220000000001');
export const WAITING = cnpj('330000000001');
export const DISABLED = cnpj('440000000001');
export const MARKUP = cnpj('550000000001');
export const EXPIRED = cnpj('660000000001');

export const NAMES: Record<string, string> = {
  [DRAINING]: 'Alfa Comercio',
  [BLOCKED]: 'Beta Industria',
  [WAITING]: 'Gama Servicos',
  [DISABLED]: 'Delta Parada',
  [MARKUP]: 'Epsilon <b>bold</b> & "Cia"',
  [EXPIRED]: 'Zeta Vencida',
};

/** 12:00 in São Paulo + 32 min 17 s: the page shows "until 12:33" (never before the minute shown). */
export const BLOCKED_UNTIL = NOW + 32 * 60_000 + 17_000;
export const BLOCKED_UNTIL_SHOWN = '12:33';
export const MARKUP_XMOTIVO = 'Rejeição: <img src=x onerror=alert(1)>';

export interface Fixture {
  dir: string;
  config: Config;
  clock: ManualClock;
  cleanup: () => void;
}

/** `http` is the config file's http section. */
export function buildFixture(http: Record<string, unknown>): Fixture {
  const { dir, cleanup } = tempDir('http');
  const file = writeConfig(
    dir,
    [
      { cnpj: DRAINING, name: NAMES[DRAINING] },
      { cnpj: BLOCKED, name: NAMES[BLOCKED] },
      { cnpj: WAITING, name: NAMES[WAITING], targetedPerHour: 10 },
      { cnpj: DISABLED, name: NAMES[DISABLED], enabled: false },
      { cnpj: MARKUP, name: NAMES[MARKUP] },
      { cnpj: EXPIRED, name: NAMES[EXPIRED] },
    ],
    { http },
  );
  const clock = new ManualClock(NOW - 10 * 60_000);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [DRAINING, BLOCKED, WAITING, DISABLED, MARKUP, EXPIRED], NAMES);

  const drained = applyDistAnswer(
    beginDistCall(initialCompanyState(), nsu(0), clock.now()),
    { cStat: '138', ultNSU: nsu(3), maxNSU: nsu(300), docs: 3, requestUltNSU: nsu(0) },
    clock.now(),
    DEFAULT_RULE_SETTINGS,
    () => 0.5,
  );
  store.commitDistBatch(DRAINING, { docs: [doc(1, 1), doc(2, 2), doc(3, 3)], state: drained.state, call: answered(clock.now(), 0, 3, { ultNSU: nsu(3), maxNSU: nsu(300) }) });
  store.saveCertificateFacts(DRAINING, { cnpj: DRAINING, subject: 'CN=ALFA', notAfter: NOW + 200 * DAY, file: join(dir, 'a.pfx'), mtimeMs: 1 });

  const at656 = NOW - 30 * 60_000;
  store.recordCall(
    BLOCKED,
    { ...initialCompanyState(), ultNSU: nsu(100), maxNSU: nsu(160), answered: true, blockedUntil: BLOCKED_UNTIL, blockedReason: '656' },
    { at: at656, op: 'distNSU', requestNSU: nsu(100), cStat: '656', xMotivo: 'Rejeição: Consumo Indevido', ultNSU: nsu(150), maxNSU: nsu(160), docs: 0, ms: 90 },
  );
  store.saveCertificateFacts(BLOCKED, { cnpj: BLOCKED, subject: 'CN=BETA', notAfter: NOW + 20 * DAY + HOUR, file: join(dir, 'b.pfx'), mtimeMs: 1 });

  store.recordCall(
    WAITING,
    { ...initialCompanyState(), ultNSU: nsu(7), maxNSU: nsu(7), answered: true, nextDistAt: NOW + 40 * 60_000, nextDistReason: 'nothing-left' },
    answered(NOW - 20 * 60_000, 7, 0, { ultNSU: nsu(7), maxNSU: nsu(7) }),
  );
  store.saveCertificateFacts(WAITING, { cnpj: WAITING, subject: 'CN=GAMA', notAfter: NOW + 400 * DAY, file: join(dir, 'c.pfx'), mtimeMs: 1 });
  store.saveCertificateFacts(EXPIRED, { cnpj: EXPIRED, subject: 'CN=ZETA', notAfter: NOW - 2 * DAY - HOUR, file: join(dir, 'e.pfx'), mtimeMs: 1 });

  store.recordCall(
    MARKUP,
    { ...initialCompanyState(), answered: true, failures: 1, nextDistAt: NOW + 60_000, nextDistReason: 'backoff' },
    { at: NOW - 5 * 60_000, op: 'distNSU', requestNSU: nsu(0), cStat: '999', xMotivo: MARKUP_XMOTIVO, docs: 0, ms: 10 },
  );
  store.close();
  clock.set(NOW);
  return { dir, config: loadConfig(file, {}), clock, cleanup };
}

/** A logger whose lines the test reads. */
export function memoryLogger(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const destination = { write: (line: string): void => void chunks.push(line) };
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines: () => chunks.join('').split('\n').filter((l) => l !== '') };
}
