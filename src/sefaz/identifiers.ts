/**
 * CNPJ, CPF, access keys (chNFe) and NSUs: the identifiers SEFAZ speaks in.
 *
 * All of them are strings. Since July 2026 a CNPJ may be alphanumeric
 * (`[0-9A-Z]{12}[0-9]{2}`); its check digits use each character's ASCII code minus 48,
 * which gives the classic rule for digits, so one function serves both forms. Access
 * keys embed the issuer's CNPJ and so may carry letters too; their check digit uses the
 * same character values.
 */

const CNPJ_SHAPE = /^[0-9A-Z]{12}[0-9]{2}$/;
const CPF_SHAPE = /^[0-9]{11}$/;
const KEY_SHAPE = /^[0-9]{2}[0-9]{4}[0-9A-Z]{12}[0-9]{2}[0-9]{2}[0-9]{3}[0-9]{9}[0-9][0-9]{8}[0-9]$/;
const NSU_SHAPE = /^[0-9]{1,15}$/;

function charValue(c: string): number {
  return c.charCodeAt(0) - 48;
}

/** Modulo 11 with weights 2..9 repeating from the right: SEFAZ's and Receita's rule. */
export function mod11Digit(body: string): number {
  let sum = 0;
  let weight = 2;
  for (let i = body.length - 1; i >= 0; i--) {
    sum += charValue(body[i]!) * weight;
    weight = weight === 9 ? 2 : weight + 1;
  }
  const rest = sum % 11;
  return rest < 2 ? 0 : 11 - rest;
}

/** The two check digits of a CNPJ's first 12 characters (numeric or alphanumeric). */
export function cnpjCheckDigits(base12: string): string {
  const first = mod11Digit(base12);
  const second = mod11Digit(base12 + String(first));
  return `${first}${second}`;
}

export function isValidCnpj(cnpj: string): boolean {
  if (!CNPJ_SHAPE.test(cnpj)) return false;
  if (/^(\d)\1{13}$/.test(cnpj)) return false;
  return cnpjCheckDigits(cnpj.slice(0, 12)) === cnpj.slice(12);
}

/** Why a string is not a CNPJ, in words, or null when it is one. */
export function cnpjProblem(cnpj: string): string | null {
  if (!CNPJ_SHAPE.test(cnpj)) {
    return `"${cnpj}" is not a 14-digit CNPJ (12 digits or capital letters, then 2 check digits)`;
  }
  if (!isValidCnpj(cnpj)) return `"${cnpj}" has wrong check digits for a CNPJ`;
  return null;
}

/** 12.345.678/0001-95, alphanumeric CNPJs alike (12.ABC.345/01DE-35); anything else as it is. */
export function formatCnpj(cnpj: string): string {
  const m = /^([0-9A-Z]{2})([0-9A-Z]{3})([0-9A-Z]{3})([0-9A-Z]{4})([0-9]{2})$/.exec(cnpj);
  return m === null ? cnpj : `${m[1]}.${m[2]}.${m[3]}/${m[4]}-${m[5]}`;
}

/** First 8 characters: shared by a company's head office and branches. */
export function cnpjBase(cnpj: string): string {
  return cnpj.slice(0, 8);
}

export function isValidCpf(cpf: string): boolean {
  if (!CPF_SHAPE.test(cpf) || /^(\d)\1{10}$/.test(cpf)) return false;
  const digit = (body: string): number => {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum += charValue(body[i]!) * (body.length + 1 - i);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  const first = digit(cpf.slice(0, 9));
  const second = digit(cpf.slice(0, 9) + String(first));
  return cpf.slice(9) === `${first}${second}`;
}

export interface AccessKeyParts {
  cUF: string;
  /** YYMM of issue */
  AAMM: string;
  /** issuer's CNPJ (or CPF left-padded with zeros) */
  CNPJ: string;
  mod: string;
  serie: string;
  nNF: string;
  tpEmis: string;
  cNF: string;
}

/** Builds a 44-character access key, appending its mod-11 check digit. */
export function buildAccessKey(p: AccessKeyParts): string {
  const body =
    p.cUF.padStart(2, '0') +
    p.AAMM.padStart(4, '0') +
    p.CNPJ.padStart(14, '0') +
    p.mod.padStart(2, '0') +
    p.serie.padStart(3, '0') +
    p.nNF.padStart(9, '0') +
    p.tpEmis +
    p.cNF.padStart(8, '0');
  if (body.length !== 43) throw new RangeError(`access key parts make ${body.length} characters, not 43`);
  return body + String(mod11Digit(body));
}

export function isValidAccessKey(key: string): boolean {
  return KEY_SHAPE.test(key) && String(mod11Digit(key.slice(0, 43))) === key[43];
}

/** The parts of a well-formed key (no check-digit test: see isValidAccessKey). */
export function parseAccessKey(key: string): AccessKeyParts & { cDV: string } {
  if (!KEY_SHAPE.test(key)) throw new RangeError(`"${key}" is not a 44-character access key`);
  return {
    cUF: key.slice(0, 2),
    AAMM: key.slice(2, 6),
    CNPJ: key.slice(6, 20),
    mod: key.slice(20, 22),
    serie: key.slice(22, 25),
    nNF: key.slice(25, 34),
    tpEmis: key.slice(34, 35),
    cNF: key.slice(35, 43),
    cDV: key.slice(43),
  };
}

/** Whether a string is an NSU as SEFAZ writes it (digits only, 15 at most). */
export function isNSU(s: string): boolean {
  return NSU_SHAPE.test(s);
}

/** NSUs travel as 15 digits, always (TNSU). */
export function formatNSU(nsu: string | bigint | number): string {
  const s = typeof nsu === 'string' ? nsu : nsu.toString();
  if (!NSU_SHAPE.test(s)) throw new RangeError(`"${s}" is not an NSU (up to 15 digits)`);
  return s.padStart(15, '0');
}

/** Compares two NSUs numerically without leaving strings (15 digits fit in a double, but keys do not: one rule for all). */
export function compareNSU(a: string, b: string): number {
  const x = formatNSU(a);
  const y = formatNSU(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** IBGE codes of the states, used as cUFAutor and in access keys. */
export const UF_CODES = {
  RO: '11', AC: '12', AM: '13', RR: '14', PA: '15', AP: '16', TO: '17',
  MA: '21', PI: '22', CE: '23', RN: '24', PB: '25', PE: '26', AL: '27', SE: '28', BA: '29',
  MG: '31', ES: '32', RJ: '33', SP: '35',
  PR: '41', SC: '42', RS: '43',
  MS: '50', MT: '51', GO: '52', DF: '53',
} as const;

export type UF = keyof typeof UF_CODES;

export function isUF(s: string): s is UF {
  return Object.prototype.hasOwnProperty.call(UF_CODES, s);
}
