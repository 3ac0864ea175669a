/** A config file and a state database built by the test, for status, export and doctor. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { runCommand } from '../../src/cli/common.js';
import type { Clock } from '../../src/clock.js';
import type { CompanyState } from '../../src/rules/state.js';
import { initialCompanyState } from '../../src/rules/state.js';
import type { DistDocument, DocKind, DocumentMeta } from '../../src/sefaz/types.js';
import { buildAccessKey, cnpjCheckDigits } from '../../src/sefaz/identifiers.js';
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
  manifest?: 'ciencia' | 'off';
  targetedPerHour?: number;
  /** any other company keys (contacts, monthlyLimit…), as written */
  more?: Record<string, unknown>;
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
      ...(c.manifest === undefined ? {} : { manifest: c.manifest }),
      ...(c.targetedPerHour === undefined ? {} : { targetedPerHour: c.targetedPerHour }),
      ...c.more,
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

/** A valid NF-e access key (check digit right), the n-th of an issuer in São Paulo. */
export function accessKey(n: number, options: { mod?: string; issuer?: string } = {}): string {
  return buildAccessKey({
    cUF: '35', AAMM: '2611', CNPJ: options.issuer ?? cnpj('998887770001'), mod: options.mod ?? '55',
    serie: '1', nNF: String(n), tpEmis: '1', cNF: String(10_000_000 + n),
  });
}

/** A summary or full NF-e for a real key, with the facts the store keeps of it. */
export function keyDoc(NSU: number | null, key: string, kind: 'resNFe' | 'procNFe', meta: DocumentMeta = {}): DistDocument {
  const xml = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><${kind} versao="1.01"><chNFe>${key}</chNFe></${kind}>\n`);
  return {
    NSU: NSU === null ? null : nsu(NSU),
    schema: `${kind}_v1.01.xsd`,
    kind,
    chNFe: key,
    xml,
    gzip: gzipSync(xml),
    decodeError: null,
    meta: kind === 'resNFe' ? { cSitNFe: '1', ...meta } : meta,
  };
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

/** A command's work run the way the CLI runs it: what it prints, and its exit code. */
export async function outcome(work: () => string): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = { stdout: '', stderr: '', exitCode: 0 };
  await runCommand(() => ({ text: work() }), {
    stdout: (t) => void (result.stdout += t),
    stderr: (t) => void (result.stderr += t),
    setExitCode: (c) => void (result.exitCode = c),
  });
  return result;
}
