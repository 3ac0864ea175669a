/** status: the targeted queue, the calls of the rolling hour and the summaries still without their full XML. */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStatus } from '../../src/cli/commands/status.js';
import { ManualClock } from '../../src/clock.js';
import { initialCompanyState } from '../../src/rules/state.js';
import type { CompanyStatus, StatusReport } from '../../src/status/index.js';
import { TABLE_WIDTH } from '../../src/status/table.js';
import { HOUR, NOW, accessKey, addCompanies, answered, cnpj, keyDoc, nsu, openTestStore, tempDir, writeConfig } from './support.js';

const A = cnpj('110000000001'); // 3 waiting (1 in flight), 4 calls in the last hour, 2 summaries pending
const B = cnpj('220000000001'); // everything done: zeros
const C = cnpj('330000000001'); // configured, not in the database

let dir: string;
let cleanup: () => void;
let file: string;
const io = { env: {}, clock: new ManualClock(NOW), host: 'test-host', processIsAlive: () => true, wallNow: NOW };

beforeAll(() => {
  ({ dir, cleanup } = tempDir('status-full'));
  file = writeConfig(dir, [{ cnpj: A, name: 'Alfa' }, { cnpj: B, name: 'Beta' }, { cnpj: C, name: 'Gama' }]);
  const clock = new ManualClock(NOW - 3 * HOUR);
  const store = openTestStore(join(dir, 'state'), clock);
  addCompanies(store, [A, B]);
  const [k1, k2, k3, k4] = [accessKey(1), accessKey(2), accessKey(3), accessKey(4)];
  const state = (ultNSU: number) => ({ ...initialCompanyState(), ultNSU: nsu(ultNSU), maxNSU: nsu(ultNSU), answered: true });
  // three summaries and the full XML of one: two keys pending; a full NF-e alone is not pending
  store.commitDistBatch(A, {
    docs: [keyDoc(1, k1, 'resNFe'), keyDoc(2, k2, 'resNFe'), keyDoc(3, k3, 'resNFe'), keyDoc(4, k1, 'procNFe'), keyDoc(5, k4, 'procNFe')],
    state: state(5), call: answered(clock.now(), 0, 5),
  });
  store.commitDistBatch(B, { docs: [keyDoc(1, k1, 'resNFe'), keyDoc(2, k1, 'procNFe')], state: state(2), call: answered(clock.now(), 0, 2) });

  const ids = store.queueTargeted(A, [
    { op: 'consChNFe', value: k2, reason: 'manual' },
    { op: 'consChNFe', value: k3, reason: 'full-missing' },
    { op: 'consNSU', value: nsu(9), reason: 'manual' },
    { op: 'consNSU', value: nsu(10), reason: 'manual' },
  ]);
  store.markTargetedSending(ids[0]!); // in flight: still waiting for its answer
  store.finishTargeted(ids[3]!, { state: 'unavailable', cStat: '137' }, NOW - HOUR); // answered: no longer queued
  const [done] = store.queueTargeted(B, [{ op: 'consChNFe', value: k1, reason: 'manual' }]);
  store.finishTargeted(done!, { state: 'done', cStat: '138' }, NOW - 2 * HOUR);

  // the rolling hour is (NOW - 1 h, NOW]: the call exactly one hour ago has left it
  for (const at of [NOW - 2 * HOUR, NOW - HOUR, NOW - HOUR + 1, NOW - 30 * 60_000, NOW - 60_000, NOW]) store.recordTargetedCall(A, 'consChNFe', at);
  store.recordTargetedCall(B, 'consNSU', NOW - 2 * HOUR);
  store.close();
});
afterAll(() => cleanup());

describe('status: targeted queries and pending summaries', () => {
  let report: StatusReport;
  const row = (c: string): CompanyStatus => report.companies.find((x) => x.cnpj === c)!;
  beforeAll(() => {
    report = JSON.parse(runStatus({ config: file, json: true }, io)) as StatusReport;
  });

  it('gives per company the queries waiting, the calls of the last rolling hour and the summaries without full XML', () => {
    expect(row(A)).toMatchObject({ queue: 3, targetedCallsLastHour: 4, summariesPending: 2 });
    expect(row(B)).toMatchObject({ queue: 0, targetedCallsLastHour: 0, summariesPending: 0 });
    expect(row(C)).toMatchObject({ queue: 0, targetedCallsLastHour: 0, summariesPending: 0 });
  });

  it('shows them compactly in the table, within 120 columns, with a legend', () => {
    const text = runStatus({ config: file }, io);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('CNPJ'))!;
    expect(header).toMatch(/\bTGT\s+PEND\b/);
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(TABLE_WIDTH);
    expect(lines.find((l) => l.startsWith(A))).toMatch(/\s3q 4\/h\s+2\s/);
    expect(lines.find((l) => l.startsWith(B))).toMatch(/\s-\s+-\s/);
    expect(text.replace(/\s+/g, ' ')).toContain('TGT: consChNFe/consNSU queued (q) and sent in the last rolling hour (/h); PEND: summaries still without the full XML');
  });
});
