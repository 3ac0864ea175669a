import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestMaterial } from '../../src/cert/testMaterial.js';
import { systemClock } from '../../src/clock.js';
import { openStore, stateDbPath } from '../../src/store/index.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { SefazSimulator } from '../../src/sim/index.js';
import { Prng } from '../../src/sim/prng.js';
import { available, projectRoot } from '../helpers/reference.js';
import { onLines } from '../support/childLines.js';
import { writeConfig } from '../support/syncHarness.js';

const CLI = join(projectRoot, 'dist', 'src', 'cli', 'main.js');
const DOCUMENTS = 4000;
const KILLS = 24;
const A = '112223330001' + cnpjCheckDigits('112223330001');

/** Starts `dfe-sync run`; resolves with the process once it has logged `lines` distNSU calls. */
function startDaemon(config: string, lines: number): Promise<{ child: ChildProcess; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    let seen = 0;
    onLines(child.stdout!, (line) => {
      if (line.includes('"op":"distNSU"') && ++seen === lines) resolve({ child, exit });
    });
    void exit.then(() => resolve({ child, exit }));
  });
}

describe.skipIf(!available('the built CLI (npm run build)', existsSync(CLI)))('crash safety: the daemon SIGKILLed at random points of a drain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dfe-sync-crash-'));
  const tlsDir = join(dir, 'tls');
  const sim = new SefazSimulator({ tlsDir, clock: systemClock, seed: 11 });
  const rng = new Prng('crash');
  let config: string;
  let kills = 0;
  let cleanExit: number | null = null;

  beforeAll(async () => {
    ensureTestMaterial(tlsDir, [A]);
    sim.addCompany(A, { documents: DOCUMENTS });
    // a little latency so that kills land inside requests as well as between them
    sim.injectFault({ cnpj: A, times: 1_000_000, fault: { kind: 'latency', ms: 8 } });
    await sim.start();
    config = writeConfig(dir, tlsDir, sim.distUrl, [{ cnpj: A }], 'rules: { backoffBaseSeconds: 1, backoffMaxSeconds: 1 }\n');

    // Kill while more than two batches remain: a kill inside the last one would (rightly)
    // make the daemon wait an hour, since that answer may have said ultNSU == maxNSU.
    const remaining = (): number => {
      const s = sim.company(A);
      return Number(s.maxNSU) - Number(s.ultNSU ?? '0');
    };
    while (kills < KILLS && remaining() > 150) {
      const { child, exit } = await startDaemon(config, rng.int(1, 3));
      await new Promise((r) => setTimeout(r, rng.int(0, 25)));
      child.kill('SIGKILL');
      await exit;
      kills++;
    }
    // then the daemon runs to the end of the drain and is stopped cleanly
    const { child, exit } = await startDaemon(config, 1);
    while (remaining() > 0) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGTERM');
    cleanExit = await exit;
  }, 240_000);

  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`was killed ${KILLS} times and never broke a rule`, () => {
    expect(kills).toBe(KILLS);
    expect(cleanExit).toBe(0);
    expect(sim.violations()).toEqual([]);
  });

  it('stored every document exactly once, with no NSU skipped', () => {
    const store = openStore(stateDbPath(join(dir, 'state')));
    try {
      const nsus = [...store.iterateDocuments({ cnpj: A })].map((d) => Number(d.NSU)).sort((a, b) => a - b);
      expect(nsus).toEqual(Array.from({ length: DOCUMENTS }, (_, i) => i + 1));
      expect(store.getCompany(A)!.ultNSU).toBe(String(DOCUMENTS).padStart(15, '0'));
    } finally {
      store.close();
    }
  });
});
