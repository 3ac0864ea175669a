/** A config file and a state database built by the test, for status, export and doctor. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import type { Clock } from '../../src/clock.js';
import type { CompanyState } from '../../src/rules/state.js';
import { initialCompanyState } from '../../src/rules/state.js';
import type { DistDocument, DocKind } from '../../src/sefaz/types.js';
import { cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
import { openStore, stateDbPath, type CallRecord, type Store } from '../../src/store/index.js';

export const NOW = Date.UTC(2026, 10, 20, 15, 0, 0); // 12:00 in São Paulo
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** A valid CNPJ from a 12-character base. */
export function cnpj(base12: string): string {
  return base12 + cnpjCheckDigits(base12);
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dfe-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function nsu(n: number): string {
  return String(n).padStart(15, '0');
}

export interface CompanyEntry {
  cnpj: string;
  name?: string;
  enabled?: boolean;
  window?: string | string[];
  pfx?: string;
  passwordFile?: string;
}

/** Writes config.yaml in `dir` (stateDir `state` unless given) and returns its path. */
export function writeConfig(dir: string, companies: CompanyEntry[], extra: Record<string, unknown> = {}): string {
  const file = join(dir, 'config.yaml');
  const doc = {
    environment: 'homologation',
    stateDir: 'state',
    timezone: 'America/Sao_Paulo',
    companies: companies.map((c) => ({
      cnpj: c.cnpj,
      name: c.name ?? `Empresa ${c.cnpj.slice(0, 4)}`,
      uf: 'SP',
      certificate: { pfx: c.pfx ?? `${c.cnpj}.pfx`, passwordFile: c.passwordFile ?? `${c.cnpj}.pass` },
      ...(c.window === undefined ? {} : { window: c.window }),
      ...(c.enabled === undefined ? {} : { enabled: c.enabled }),
    })),
    ...extra,
  };
  writeFileSync(file, stringify(doc));
  return file;
}

export function openTestStore(stateDir: string, clock: Clock): Store<CompanyState> {
  return openStore<CompanyState>(stateDbPath(stateDir), { clock });
}

export function addCompanies(store: Store<CompanyState>, cnpjs: string[], names: Record<string, string> = {}): void {
  store.upsertCompanies(
    cnpjs.map((c) => ({ cnpj: c, name: names[c] ?? `Empresa ${c.slice(0, 4)}`, enabled: true, window: '24h', initialState: initialCompanyState() })),
  );
}

export function chNFe(n: number): string {
  return `3526111234567800019555001${String(n).padStart(9, '0')}1234567890`;
}

/** A document as the wire layer hands it over; `raw` makes its docZip undecodable. */
export function doc(NSU: number | null, key: number, options: { kind?: DocKind; raw?: boolean } = {}): DistDocument {
  const kind = options.kind ?? 'resNFe';
  const xml = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><${kind} versao="1.01"><chNFe>${chNFe(key)}</chNFe><n>${NSU}</n></${kind}>\n`);
  const gzip = options.raw ? Buffer.from(`not gzip ${key}`) : gzipSync(xml);
  return {
    NSU: NSU === null ? null : nsu(NSU),
    schema: `${kind}_v1.01.xsd`,
    kind,
    chNFe: chNFe(key),
    xml: options.raw ? null : xml,
    gzip,
    decodeError: options.raw ? 'docZip is not gzip' : null,
    meta: {},
  };
}

export function answered(at: number, requestNSU: number, docs: number, extra: Partial<CallRecord> = {}): CallRecord {
  return {
    at,
    op: 'distNSU',
    requestNSU: nsu(requestNSU),
    cStat: docs > 0 ? '138' : '137',
    xMotivo: docs > 0 ? 'Documento(s) localizado(s)' : 'Nenhum documento localizado',
    docs,
    ms: 40,
    ...extra,
  };
}
