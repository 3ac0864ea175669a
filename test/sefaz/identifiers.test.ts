import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildAccessKey, cnpjCheckDigits, cnpjProblem, compareNSU, formatNSU, isValidAccessKey,
  isValidCnpj, isValidCpf, mod11Digit, parseAccessKey,
} from '../../src/sefaz/identifiers.js';

describe('CNPJ', () => {
  it('accepts numeric CNPJs with right check digits and rejects wrong ones', () => {
    expect(isValidCnpj('11222333000181')).toBe(true);
    expect(isValidCnpj('11222333000182')).toBe(false);
    expect(isValidCnpj('00000000000000')).toBe(false);
  });
  it('accepts the alphanumeric form with the ASCII-48 rule (Receita\'s example 12ABC34501DE35)', () => {
    expect(cnpjCheckDigits('12ABC34501DE')).toBe('35');
    expect(isValidCnpj('12ABC34501DE35')).toBe(true);
    expect(isValidCnpj('12ABC34501DE36')).toBe(false);
    expect(isValidCnpj('12abc34501de35')).toBe(false);
  });
  it('says why a string is not a CNPJ', () => {
    expect(cnpjProblem('1234')).toMatch(/is not a 14-digit CNPJ/);
    expect(cnpjProblem('11222333000182')).toMatch(/check digits/);
    expect(cnpjProblem('11222333000181')).toBeNull();
  });
  it('every 12-character base completed with its digits is valid', () => {
    fc.assert(fc.property(fc.stringMatching(/^[0-9A-Z]{12}$/), (base) => {
      fc.pre(!/^(\d)\1{11}$/.test(base));
      expect(isValidCnpj(base + cnpjCheckDigits(base))).toBe(true);
    }));
  });
});

describe('CPF', () => {
  it('checks both digits', () => {
    expect(isValidCpf('52998224725')).toBe(true);
    expect(isValidCpf('52998224726')).toBe(false);
    expect(isValidCpf('11111111111')).toBe(false);
  });
});

describe('access keys', () => {
  it('computes the check digit of published keys', () => {
    expect(mod11Digit('1318101792142700012565001000000030988725117')).toBe(0);
    expect(isValidAccessKey('13181017921427000125650010000000309887251170')).toBe(true);
    expect(isValidAccessKey('33150308370779000149550010001100931002410775')).toBe(true);
    expect(isValidAccessKey('33150308370779000149550010001100931002410776')).toBe(false);
  });
  it('builds keys that parse back and validate, alphanumeric issuers included', () => {
    fc.assert(fc.property(
      fc.stringMatching(/^[0-9A-Z]{12}$/), fc.integer({ min: 1, max: 999_999_999 }),
      (base, nNF) => {
        const CNPJ = base + cnpjCheckDigits(base);
        const key = buildAccessKey({ cUF: '35', AAMM: '2611', CNPJ, mod: '55', serie: '1', nNF: String(nNF), tpEmis: '1', cNF: '12345678' });
        expect(key).toHaveLength(44);
        expect(isValidAccessKey(key)).toBe(true);
        expect(parseAccessKey(key).CNPJ).toBe(CNPJ);
        expect(parseAccessKey(key).nNF).toBe(String(nNF).padStart(9, '0'));
      }));
  });
});

describe('NSU', () => {
  it('always travels as 15 digits and compares as a number would', () => {
    expect(formatNSU('1')).toBe('000000000000001');
    expect(formatNSU(243874n)).toBe('000000000243874');
    expect(() => formatNSU('1234567890123456')).toThrow(/not an NSU/);
    expect(compareNSU('99', '000000000000100')).toBe(-1);
    expect(compareNSU('000000000000100', '100')).toBe(0);
  });
});
