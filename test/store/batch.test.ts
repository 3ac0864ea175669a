import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { DistDocument } from '../../src/sefaz/types.js';
import { company, distCall, doc, nsu, state, useTempStore, type TestState } from './support.js';

const A = '12345678000195';
const db = useTempStore<TestState>((s) => s.upsertCompany(company(A, state(0, null))));

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A second connection, as a test's saboteur: installs a trigger that fails one statement. */
function sabotage(sql: string): void {
  const raw = new Database(db.file);
  raw.exec(sql);
  raw.close();
}

function storedNSUs(): (string | null)[] {
  return [...db.store.iterateDocuments({ cnpj: A })].map((d) => d.NSU);
}

describe('commitDistBatch', () => {
  it('stores 50 documents, moves the cursor, logs the call and counts the documents in one go', () => {
    const docs = range(1, 50).map((n) => doc(n));
    const result = db.store.commitDistBatch(A, { docs, state: state(50, 120), call: distCall(db.clock.now(), 0, 50, { ultNSU: nsu(50), maxNSU: nsu(120) }) });
    expect(result.duplicates).toBe(0);
    expect(result.inserted.map((r) => [r.index, r.NSU, r.kind])).toEqual(docs.map((d, i) => [i, d.NSU, 'resNFe']));
    const a = db.store.getCompany(A)!;
    expect(a).toMatchObject({ ultNSU: nsu(50), maxNSU: nsu(120), documents: 50 });
    expect(a.lastCall).toEqual({ at: db.clock.now(), op: 'distNSU', cStat: '138', xMotivo: 'Documento localizado', docs: 50, ms: 12, error: null });
    expect(db.store.countDocuments(A)).toBe(50);
    expect(db.store.listCalls(A)).toEqual([
      expect.objectContaining({ op: 'distNSU', requestNSU: nsu(0), ultNSU: nsu(50), maxNSU: nsu(120), cStat: '138', docs: 50 }),
    ]);
  });

  it('rolls everything back when a document in the middle violates a constraint', () => {
    db.store.commitDistBatch(A, { docs: [doc(1)], state: state(1, 9), call: distCall(0, 0, 1) });
    const bad = { ...doc(3), NSU: '3' }; // not 15 digits: the table's CHECK refuses it
    expect(() =>
      db.store.commitDistBatch(A, { docs: [doc(2), bad, doc(4)], state: state(4, 9), call: distCall(1, 1, 3), gaps: [{ fromNSU: nsu(5), toNSU: nsu(6) }] }),
    ).toThrow(/CHECK constraint failed/);
    expect(storedNSUs()).toEqual([nsu(1)]);
    expect(db.store.getCompany(A)).toMatchObject({ ultNSU: nsu(1), documents: 1 });
    expect(db.store.listCalls(A)).toHaveLength(1);
    expect(db.store.listGaps(A)).toEqual([]);
  });

  it('rolls the documents back when logging the call fails after they were inserted', () => {
    sabotage("CREATE TRIGGER fail_call BEFORE INSERT ON calls BEGIN SELECT RAISE(ABORT, 'sabotaged call log'); END");
    expect(() => db.store.commitDistBatch(A, { docs: range(1, 50).map((n) => doc(n)), state: state(50, 99), call: distCall(0, 0, 50) })).toThrow(
      'sabotaged call log',
    );
    expect(db.store.countDocuments()).toBe(0);
    expect(db.store.getCompany(A)).toMatchObject({ ultNSU: nsu(0), documents: 0, lastCall: null });
  });

  it('rolls documents, gaps and call back when saving the cursor fails last', () => {
    sabotage(
      "CREATE TRIGGER fail_cursor BEFORE UPDATE OF ultNSU ON companies WHEN NEW.ultNSU IS NOT OLD.ultNSU BEGIN SELECT RAISE(ABORT, 'sabotaged cursor'); END",
    );
    expect(() =>
      db.store.commitDistBatch(A, { docs: [doc(1), doc(2)], state: state(2, 9), call: distCall(0, 0, 2), gaps: [{ fromNSU: nsu(3), toNSU: nsu(4) }] }),
    ).toThrow('sabotaged cursor');
    expect(db.store.countDocuments()).toBe(0);
    expect(db.store.listGaps(A)).toEqual([]);
    expect(db.store.listCalls(A)).toEqual([]);
    expect(db.store.getCompany(A)!.ultNSU).toBe(nsu(0));
  });

  it('ignores documents already stored under the same NSU, and reports them as duplicates', () => {
    db.store.commitDistBatch(A, { docs: [doc(1), doc(2)], state: state(2, 9), call: distCall(0, 0, 2) });
    // An answer that brings NSU 2 again (asked from the stored cursor, which is 2).
    const again = db.store.commitDistBatch(A, { docs: [doc(2), doc(3)], state: state(3, 9), call: distCall(1, 2, 2) });
    expect(again.inserted.map((r) => r.NSU)).toEqual([nsu(3)]);
    expect(again.duplicates).toBe(1);
    expect(storedNSUs()).toEqual([nsu(1), nsu(2), nsu(3)]);
    expect(db.store.getCompany(A)!.documents).toBe(3);
  });

  it('identifies a document without NSU by kind and key (events also by type and sequence)', () => {
    const key = '35261112345678000195550010000000011234567890';
    const call = { at: 0, op: 'consChNFe' as const, requestChNFe: key, cStat: '138', xMotivo: 'Documento localizado', docs: 1, ms: 5 };
    db.store.commitDistBatch(A, { docs: [doc(null, { chNFe: key })], state: state(0, null), call });
    const second = db.store.commitDistBatch(A, {
      docs: [
        doc(null, { chNFe: key }), // same kind and key: the same document
        doc(null, { chNFe: key, kind: 'procNFe' }),
        doc(null, { chNFe: key, kind: 'resEvento', tpEvento: '110111', nSeqEvento: '1' }),
        doc(null, { chNFe: key, kind: 'resEvento', tpEvento: '110110', nSeqEvento: '1' }),
        doc(null, { chNFe: key, kind: 'resEvento', tpEvento: '110110', nSeqEvento: '1' }),
      ],
      state: state(0, null),
      call,
    });
    expect(second.inserted.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(second.duplicates).toBe(2);
    // The same document coming later with an NSU (distNSU) is not stored twice: the row
    // stored by key gets its NSU, so the NSU sequence has no hole either.
    const later = db.store.commitDistBatch(A, { docs: [doc(1, { chNFe: key })], state: state(1, 1), call: distCall(1, 0, 1) });
    expect(later.inserted).toEqual([]);
    expect(db.store.countDocuments(A)).toBe(4);
    expect(db.store.getCompany(A)!.documents).toBe(4);
    expect([...db.store.iterateDocuments({ cnpj: A })].filter((d) => d.kind === 'resNFe').map((d) => d.NSU)).toEqual([nsu(1)]);
    // and the other way round: a document already stored with its NSU is not stored again by key
    const byKey = db.store.commitDistBatch(A, { docs: [doc(null, { chNFe: key })], state: state(1, 1), call });
    expect(byKey.inserted).toEqual([]);
  });

  it('keeps an undecodable document raw and flagged', () => {
    const raw = Buffer.from('this was not base64 at all');
    const broken = { ...doc(1), kind: 'unknown' as const, chNFe: null, xml: null, gzip: raw, decodeError: 'docZip is not valid base64', meta: {} };
    const result = db.store.commitDistBatch(A, { docs: [broken, doc(2)], state: state(2, 2), call: distCall(0, 0, 2) });
    expect(result.inserted).toHaveLength(2);
    const [first] = [...db.store.iterateDocuments()];
    expect(first).toMatchObject({ NSU: nsu(1), kind: 'unknown', chNFe: null, decodeError: 'docZip is not valid base64' });
    expect(first!.gzip.equals(raw)).toBe(true);
  });

  it('round-trips the gzip bytes exactly, whatever they are', () => {
    const blobs = [randomBytes(1), randomBytes(4096), Buffer.alloc(300, 0), Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(70_000)])];
    const docs: DistDocument[] = blobs.map((gzip, i) => ({ ...doc(i + 1), gzip }));
    docs.push(doc(99));
    db.store.commitDistBatch(A, { docs, state: state(99, 99), call: distCall(0, 0, docs.length) });
    const stored = [...db.store.iterateDocuments({ cnpj: A })];
    expect(stored.map((d) => d.gzip.toString('hex'))).toEqual(docs.map((d) => d.gzip.toString('hex')));
    expect(gunzipSync(stored[4]!.gzip).equals(docs[4]!.xml!)).toBe(true);
  });

  it('resumes iteration after a given id and filters by company', () => {
    const B = '11222333000181';
    db.store.upsertCompany(company(B, state(0, null)));
    db.store.commitDistBatch(A, { docs: range(1, 3).map((n) => doc(n)), state: state(3, 3), call: distCall(0, 0, 3) });
    db.store.commitDistBatch(B, { docs: range(1, 2).map((n) => doc(n)), state: state(2, 2), call: distCall(0, 0, 2) });
    const all = [...db.store.iterateDocuments()];
    expect(all.map((d) => [d.cnpj, d.NSU])).toEqual([[A, nsu(1)], [A, nsu(2)], [A, nsu(3)], [B, nsu(1)], [B, nsu(2)]]);
    expect([...db.store.iterateDocuments({ afterId: all[1]!.id })].map((d) => d.id)).toEqual(all.slice(2).map((d) => d.id));
    expect([...db.store.iterateDocuments({ cnpj: B, afterId: all[3]!.id })].map((d) => d.NSU)).toEqual([nsu(2)]);
    expect(db.store.countDocuments()).toBe(5);
    expect(db.store.countDocuments(B)).toBe(2);
  });

  it('refuses a consNSU/consChNFe answer whose state moves the cursor (it never may)', () => {
    db.store.commitDistBatch(A, { docs: [doc(1)], state: state(1, 5), call: distCall(0, 0, 1) });
    const call = { at: 1, op: 'consNSU' as const, requestNSU: nsu(4), cStat: '138', xMotivo: 'Documento localizado', docs: 1, ms: 5 };
    expect(() => db.store.commitDistBatch(A, { docs: [doc(4)], state: state(4, 5), call })).toThrow(
      expect.objectContaining({ code: 'STORE_TARGETED_CALL_MOVED_CURSOR' }),
    );
    expect(storedNSUs()).toEqual([nsu(1)]);
    db.store.commitDistBatch(A, { docs: [doc(4)], state: state(1, 5), call });
    expect(storedNSUs()).toEqual([nsu(1), nsu(4)]);
    expect(db.store.getCompany(A)).toMatchObject({ ultNSU: nsu(1), lastCall: expect.objectContaining({ op: 'consNSU' }) });
  });
});

describe('recordCall and gaps', () => {
  it('saves the waits an answer set together with the call, so a restart honours them', () => {
    const deadline = db.clock.now() + 3_600_000 + 120_000;
    db.store.recordCall(A, state(0, 0, { nextDistAt: deadline, nextDistReason: 'cStat 137: nothing left' }), distCall(db.clock.now(), 0, 0));
    db.reopen();
    expect(db.store.getCompany(A)).toMatchObject({ nextDistAt: deadline, nextDistReason: 'cStat 137: nothing left', lastCall: expect.objectContaining({ cStat: '137' }) });
  });

  it('records a 656 block, its gap and the call in one transaction', () => {
    db.store.commitDistBatch(A, { docs: [doc(1)], state: state(1, 5), call: distCall(0, 0, 1) });
    const blockedUntil = db.clock.now() + 3_720_000;
    const call = { at: db.clock.now(), op: 'distNSU' as const, requestNSU: nsu(1), cStat: '656', xMotivo: 'Rejeição: Consumo Indevido', ultNSU: nsu(40), docs: 0, ms: 9 };
    db.store.recordCall(A, state(40, 5, { blockedUntil, stopped: null }), call, [{ fromNSU: nsu(2), toNSU: nsu(40), note: 'another system consumed them' }]);
    const a = db.store.getCompany(A)!;
    expect(a).toMatchObject({ ultNSU: nsu(40), blockedUntil, lastCall: expect.objectContaining({ cStat: '656' }) });
    const [gap] = db.store.listGaps(A);
    expect(gap).toMatchObject({ cnpj: A, fromNSU: nsu(2), toNSU: nsu(40), foundAt: db.clock.now(), closedAt: null, note: 'another system consumed them' });
    db.clock.advance(10);
    expect(db.store.closeGap(gap!.id, { note: 'fetched with consNSU' })).toBe(true);
    expect(db.store.closeGap(gap!.id)).toBe(false);
    expect(db.store.listGaps(A, { openOnly: true })).toEqual([]);
    expect(db.store.listGaps(A)[0]).toMatchObject({ closedAt: db.clock.now(), note: 'fetched with consNSU' });
  });

  it('prunes the call log by age', () => {
    const day = 86_400_000;
    db.store.recordCall(A, state(0, 0), distCall(0, 0, 0));
    db.store.recordCall(A, state(0, 0), distCall(31 * day, 0, 0));
    expect(db.store.pruneCalls(31 * day - 30 * day)).toBe(1);
    expect(db.store.listCalls(A).map((c) => c.at)).toEqual([31 * day]);
  });
});

describe('a distNSU answer from a stale cursor', () => {
  const db = useTempStore();
  it('is refused whole when another process moved the cursor since the request left', async () => {
    const { initialCompanyState } = await import('../../src/rules/state.js');
    const cnpj = '11222333000181';
    db.store.upsertCompany({ cnpj, name: 'A', enabled: true, window: '24h', initialState: initialCompanyState() });
    const at = db.clock.now();
    const state = (ultNSU: string) => ({ ...initialCompanyState(), ultNSU, maxNSU: '000000000000100', answered: true });
    const call = (requestNSU: string) => ({ at, op: 'distNSU' as const, requestNSU, cStat: '138', xMotivo: 'ok', docs: 0, ms: 1 });
    db.store.commitDistBatch(cnpj, { docs: [], state: state('000000000000050'), call: call('000000000000000') });
    expect(() => db.store.commitDistBatch(cnpj, { docs: [], state: state('000000000000050'), call: call('000000000000000') }))
      .toThrow(/already 000000000000050/);
    expect(db.store.getCompany(cnpj)!.ultNSU).toBe('000000000000050');
    db.store.commitDistBatch(cnpj, { docs: [], state: state('000000000000100'), call: call('000000000000050') });
    expect(db.store.getCompany(cnpj)!.ultNSU).toBe('000000000000100');
  });
});
