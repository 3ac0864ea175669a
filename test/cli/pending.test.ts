import { Command } from 'commander';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerPendingCommand, runPending } from '../../src/cli/commands/pending.js';
import { ManualClock } from '../../src/clock.js';
import { initialCompanyState } from '../../src/rules/state.js';
import type { DistDocument } from '../../src/sefaz/types.js';
import type { PendingKey, PendingReport } from '../../src/status/pending.js';
import { TABLE_WIDTH } from '../../src/status/table.js';
import type { EventCode, ManifestationResult } from '../../src/store/index.js';
import { HOUR, NOW, accessKey, addCompanies, answered, cnpj, keyDoc, nsu, openTestStore, outcome, tempDir, writeConfig } from '../status/support.js';

const OFF = cnpj('110000000001'); // manifest: off
const AUTO = cnpj('220000000001'); // manifest: ciencia
const GONE = cnpj('330000000001'); // stored, no longer configured

/** One key per situation, and the company it belongs to. */
const K = {
  summaryOnly: accessKey(1),
  declined: accessKey(2),
  queued: accessKey(3),
  sent: accessKey(4),
  late: accessKey(5),
  rejected: accessKey(6),
  deadline: accessKey(7),
  cancelledEvent: accessKey(8),
  cancelled: accessKey(9),
  denied: accessKey(10),
  fetchQueued: accessKey(11),
  unavailable: accessKey(12),
  full: accessKey(13),
  arrivedOff: accessKey(14),
  gone: accessKey(15),
  askedAgain: accessKey(16),
};

let dir: string;
let cleanup: () => void;
let file: string;
const clock = new ManualClock(NOW - 2 * HOUR);
const io = { env: {}, clock: new ManualClock(NOW) };
let report: PendingReport;

function key(k: string): PendingKey {
  const found = report.keys.find((x) => x.chNFe === k);
  if (found === undefined) throw new Error(`${k} not listed`);
  return found;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('pending'));
  file = writeConfig(dir, [{ cnpj: OFF, name: 'Sem Manifesto' }, { cnpj: AUTO, name: 'Com Ciencia', manifest: 'ciencia' }]);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [OFF, AUTO, GONE]);
  const meta = { emitterName: 'Fornecedor de Pecas Ltda', vNF: '1520.35', dhEmi: '2026-11-19T10:00:00-03:00' };
  const cursors = new Map<string, number>();
  /** One distNSU answer carrying `docs`, from the company's stored cursor on. */
  const commit = (c: string, docs: (NSU: number) => DistDocument[], autoManifest = false) => {
    const from = cursors.get(c) ?? 0;
    const batch = docs(from + 1);
    const to = from + batch.length;
    cursors.set(c, to);
    const state = { ...initialCompanyState(), ultNSU: nsu(to), maxNSU: nsu(to), answered: true };
    store.commitDistBatch(c, { docs: batch, state, call: answered(clock.now(), from, batch.length), autoManifest });
  };
  const summaries = (c: string, keys: string[], cSitNFe = '1', autoManifest = false) =>
    commit(c, (first) => keys.map((k, i) => keyDoc(first + i, k, 'resNFe', { ...meta, cSitNFe })), autoManifest);
  summaries(OFF, [K.summaryOnly, K.declined, K.full, K.askedAgain]);
  summaries(OFF, [K.cancelled], '3');
  summaries(OFF, [K.denied], '2');
  summaries(AUTO, [K.arrivedOff]);
  summaries(AUTO, [K.queued, K.sent, K.late, K.rejected, K.deadline, K.cancelledEvent, K.fetchQueued, K.unavailable], '1', true);
  summaries(GONE, [K.gone]);
  commit(OFF, (first) => [keyDoc(first, K.full, 'procNFe')]);

  const finish = (c: string, k: string, result: ManifestationResult, tpEvento: EventCode = '210210') =>
    store.finishManifestations(c, [{ key: { chNFe: k, tpEvento, nSeqEvento: 1 }, result }], NOW - HOUR);
  store.queueManifestations(OFF, [{ chNFe: K.declined, tpEvento: '210220', origin: 'manual' }]);
  finish(OFF, K.declined, { state: 'done', outcome: 'registered', cStat: '135', nProt: '891260000000002' }, '210220');
  finish(AUTO, K.sent, { state: 'done', outcome: 'registered', cStat: '135', xMotivo: 'Evento registrado', nProt: '891260000000004' });
  finish(AUTO, K.late, { state: 'done', outcome: 'registered', cStat: '135', nProt: '891260000000005' });
  finish(AUTO, K.rejected, { state: 'failed', outcome: 'rejected', cStat: '580', xMotivo: 'Rejeicao: O evento exige uma NF-e autorizada' });
  finish(AUTO, K.deadline, { state: 'failed', outcome: 'out-of-deadline', cStat: '596', xMotivo: 'Rejeicao: Evento apresentado fora do prazo' });
  finish(AUTO, K.cancelledEvent, { state: 'failed', outcome: 'cancelled-or-denied', cStat: '650', xMotivo: 'Rejeicao: Evento de Ciencia da Operacao para NF-e Cancelada ou Denegada' });
  finish(AUTO, K.fetchQueued, { state: 'done', outcome: 'registered', cStat: '135', nProt: '891260000000011' });
  store.queueTargeted(AUTO, [{ op: 'consChNFe', value: K.fetchQueued, reason: 'full-missing' }]);
  const [late] = store.queueTargeted(AUTO, [{ op: 'consChNFe', value: K.late, reason: 'full-missing' }]);
  store.finishTargeted(late!, { state: 'done', cStat: '138', xMotivo: 'Documento localizado' }, NOW - HOUR);
  const [again] = store.queueTargeted(OFF, [{ op: 'consChNFe', value: K.askedAgain, reason: 'manual' }]);
  store.finishTargeted(again!, { state: 'done', cStat: '138', xMotivo: 'Documento localizado' }, NOW - HOUR);
  const [gone] = store.queueTargeted(AUTO, [{ op: 'consChNFe', value: K.unavailable, reason: 'manual' }]);
  store.finishTargeted(gone!, { state: 'unavailable', cStat: '632', meaning: `NF-e ${K.unavailable}: Rejeição: Solicitação fora de prazo, a NF-e não está mais disponível para download` }, NOW - HOUR);
  store.close();

  report = JSON.parse(runPending({ config: file, json: true }, io)) as PendingReport;
});
afterAll(() => cleanup());

describe('pending --json', () => {
  it('lists every summary without its full XML, and nothing else', () => {
    const listed = report.keys.map((k) => k.chNFe).sort();
    expect(listed).toEqual(Object.values(K).filter((k) => k !== K.full).sort());
    expect(report).toMatchObject({ generatedAt: new Date(NOW).toISOString(), databaseFound: true, total: listed.length });
    expect(key(K.sent)).toMatchObject({
      cnpj: AUTO, emitterName: 'Fornecedor de Pecas Ltda', vNF: '1520.35', dhEmi: '2026-11-19T10:00:00-03:00', cSitNFe: '1',
      summaryReceivedAt: new Date(NOW - 2 * HOUR).toISOString(),
    });
  });

  it('says "summary only" when nothing was manifested, with the command that does it', () => {
    expect(key(K.summaryOnly)).toMatchObject({ situation: 'summary-only', manifestation: null, fetch: null });
    expect(key(K.summaryOnly).reason).toBe(
      `summary only: no manifestation (manifest: off for this company); SEFAZ releases the full XML after one: dfe-sync manifest --cnpj ${OFF} --key ${K.summaryOnly} --event ciencia`,
    );
    expect(key(K.arrivedOff).reason).toMatch(/^summary only: no manifestation \(it arrived while manifest was off/);
    expect(key(K.gone).reason).toBe('summary only: no manifestation, and the company is no longer in the config');
    expect(key(K.askedAgain)).toMatchObject({ situation: 'summary-only', fetch: { state: 'done', cStat: '138' } });
    expect(key(K.askedAgain).reason).toBe(
      'summary only: no manifestation (manifest: off for this company) (a consChNFe for it was answered with the summary again); ' +
        `SEFAZ releases the full XML after one: dfe-sync manifest --cnpj ${OFF} --key ${K.askedAgain} --event ciencia`,
    );
  });

  it('names another event registered instead of a Ciência', () => {
    expect(key(K.declined)).toMatchObject({ situation: 'summary-only' });
    expect(key(K.declined).reason).toMatch(/^no Ciência or Confirmação da Operação, .*: Desconhecimento da Operação registered by SEFAZ on 2026-11-20 11:00 \(cStat 135, nProt 891260000000002\)$/);
  });

  it('says a queued ciência will be sent, and a registered one with its nProt', () => {
    expect(key(K.queued)).toMatchObject({ situation: 'manifestation-queued', manifestation: { event: 'ciencia', tpEvento: '210210', state: 'pending', nProt: null } });
    expect(key(K.queued).reason).toBe('Ciência da Operação queued, not sent yet: the running daemon sends it within seconds');
    expect(key(K.sent)).toMatchObject({ situation: 'manifestation-sent', manifestation: { state: 'done', outcome: 'registered', cStat: '135', nProt: '891260000000004', doneAt: new Date(NOW - HOUR).toISOString() } });
    expect(key(K.sent).reason).toBe(
      'Ciência da Operação registered by SEFAZ on 2026-11-20 11:00 (cStat 135, nProt 891260000000004): the full XML comes as a new NSU; ' +
        'if it has not come 24 h after the event, dfe-sync asks for it with consChNFe',
    );
    expect(key(K.late).reason).toMatch(/nProt 891260000000005\): the full XML comes as a new NSU; a consChNFe was answered without it$/);
  });

  it('gives cStat and xMotivo of a refused event, and tells out-of-deadline and cancelled/denied apart', () => {
    expect(key(K.rejected)).toMatchObject({ situation: 'rejected', manifestation: { cStat: '580', state: 'failed' } });
    expect(key(K.rejected).reason).toMatch(/^Ciência da Operação refused for good by SEFAZ on .* \(cStat 580 "Rejeicao: O evento exige uma NF-e autorizada"\); it is not sent again/);
    expect(key(K.deadline)).toMatchObject({ situation: 'out-of-deadline' });
    expect(key(K.deadline).reason).toMatch(/out of deadline .*cStat 596.*: only the issuer can send the XML now$/);
    expect(key(K.cancelledEvent)).toMatchObject({ situation: 'cancelled-or-denied' });
    expect(key(K.cancelledEvent).reason).toMatch(/the NF-e is cancelled or denied .*cStat 650/);
  });

  it('takes cancelled and denied from the summary itself', () => {
    expect(key(K.cancelled)).toMatchObject({ situation: 'cancelled', cSitNFe: '3' });
    expect(key(K.cancelled).reason).toMatch(/cancelled by its issuer/);
    expect(key(K.denied)).toMatchObject({ situation: 'denied', cSitNFe: '2' });
  });

  it('shows a consChNFe queued, and one SEFAZ answered as unavailable with its meaning', () => {
    expect(key(K.fetchQueued)).toMatchObject({ situation: 'fetch-queued', fetch: { state: 'pending', cStat: null, meaning: null } });
    expect(key(K.fetchQueued).reason).toMatch(/^consChNFe queued, sent within the hourly budget; Ciência da Operação registered by SEFAZ .*nProt 891260000000011/);
    expect(key(K.unavailable)).toMatchObject({ situation: 'fetch-unavailable', fetch: { state: 'unavailable', cStat: '632' } });
    expect(key(K.unavailable).reason).toBe(`consChNFe answered 632: NF-e ${K.unavailable}: Rejeição: Solicitação fora de prazo, a NF-e não está mais disponível para download`);
  });

  it('counts the keys by situation', () => {
    expect(report.bySituation).toEqual({
      'summary-only': 5, 'manifestation-queued': 1, 'manifestation-sent': 2, rejected: 1, 'out-of-deadline': 1,
      'cancelled-or-denied': 1, cancelled: 1, denied: 1, 'fetch-queued': 1, 'fetch-unavailable': 1,
    });
  });

  it('keeps to one company with --cnpj, also one no longer configured', () => {
    const only = JSON.parse(runPending({ config: file, cnpj: OFF, json: true }, io)) as PendingReport;
    expect(new Set(only.keys.map((k) => k.cnpj))).toEqual(new Set([OFF]));
    expect(only.total).toBe(5);
    const gone = JSON.parse(runPending({ config: file, cnpj: GONE, json: true }, io)) as PendingReport;
    expect(gone.keys.map((k) => k.chNFe)).toEqual([K.gone]);
  });
});

describe('pending table', () => {
  it('groups the keys by company, a row each within 120 columns and the reason under it', () => {
    const text = runPending({ config: file }, io);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`dfe-sync pending at 2026-11-20 12:00 America/Sao_Paulo: ${report.total} keys without the full XML`);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(text).toContain(`${OFF} Sem Manifesto: 5 keys\n  KEY`);
    expect(text).toContain(`${GONE} (not in the config): 1 key`);
    expect(text).toMatch(new RegExp(`\\n  ${K.sent}  2026-11-19  1520\\.35  Fornecedor de Pecas Ltda  ciencia sent\\n      Ciência da Operação registered by SEFAZ`));
    expect(text).toMatch(new RegExp(`\\n  ${K.unavailable} .* unavailable 632\\n`));
    expect(text).toMatch(new RegExp(`\\n  ${K.rejected} .* ciencia rejected 580\\n`));
    expect(text.replace(/\n  /g, ' ')).toMatch(/\nBy situation: 5 summary-only, .*, 1 fetch-unavailable\. For scripts: dfe-sync pending --json\.\n$/);
  });

  it('says so when nothing is pending, and when the daemon never ran', async () => {
    const t = tempDir('pending-empty');
    try {
      const empty = writeConfig(t.dir, [{ cnpj: OFF }]);
      const none = runPending({ config: empty }, io);
      expect(none).toMatch(/No state yet: the daemon has not run \(no database at .*\), so no summary is stored\.\n$/);
      const json = JSON.parse(runPending({ config: empty, json: true }, io)) as PendingReport;
      expect(json).toMatchObject({ databaseFound: false, total: 0, keys: [] });
      const store = openTestStore(join(t.dir, 'state'), clock);
      addCompanies(store, [OFF]);
      store.close();
      expect(runPending({ config: empty }, io)).toMatch(/No key is waiting for its full XML\.\n$/);
      const unknown = await outcome(() => runPending({ config: empty, cnpj: AUTO }, io));
      expect(unknown.exitCode).toBe(2);
      expect(unknown.stderr).toMatch(new RegExp(`--cnpj ${AUTO} is neither a company of .* nor stored in`));
    } finally {
      t.cleanup();
    }
  });
});

describe('pending command line', () => {
  const exitCode = process.exitCode;
  afterEach(() => {
    process.exitCode = exitCode;
    vi.restoreAllMocks();
  });

  it('prints JSON with --json and exits 0', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    const program = new Command();
    registerPendingCommand(program);
    await program.parseAsync(['node', 'dfe-sync', 'pending', '--config', file, '--cnpj', AUTO, '--json']);
    const parsed = JSON.parse(out.join('')) as PendingReport;
    expect(parsed.keys.length).toBe(9);
    expect(process.exitCode ?? 0).toBe(0);
  });

  it('exits 2 on an invalid --cnpj', async () => {
    const r = await outcome(() => runPending({ config: file, cnpj: '123' }, io));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^dfe-sync: --cnpj /);
  });
});
