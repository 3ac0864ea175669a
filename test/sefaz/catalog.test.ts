import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CSTAT_CATALOG, describeCStat, XMOTIVO_656_LIMIT_20, XMOTIVO_656_SEQUENCE, XMOTIVO_656_WAIT_HOUR,
} from '../../src/sefaz/catalog.js';
import { sefazSchemaPath } from '../helpers/reference.js';

describe('the cStat catalog', () => {
  it('classes each code by what the client must do', () => {
    const classes = (codes: string[]) => codes.map((c) => describeCStat(c).class);
    expect(describeCStat('138').class).toBe('documents');
    expect(describeCStat('137').class).toBe('empty');
    expect(describeCStat('656').class).toBe('consumo-indevido');
    expect(new Set(classes(['108', '109', '999']))).toEqual(new Set(['transient']));
    expect(new Set(classes(['593', '589', '252', '280', '281', '282', '283', '284', '285', '286', '215']))).toEqual(new Set(['fatal-config']));
    expect(new Set(classes(['632', '640', '641', '653', '654']))).toEqual(new Set(['unavailable']));
    expect(describeCStat('135').class).toBe('event-registered');
    expect(describeCStat('573').class).toBe('event-duplicate');
  });

  it('an unknown code is described, not thrown', () => {
    expect(describeCStat('777')).toMatchObject({ cStat: '777', class: 'unknown', wire: [] });
  });

  it('keeps texts as SEFAZ spells them: MOC wording with accents, AN wire texts without', () => {
    expect(describeCStat('656').text).toBe('Rejeição: Consumo Indevido');
    expect(describeCStat('656').wire).toContain(XMOTIVO_656_SEQUENCE);
    expect(describeCStat('656').wire).toContain(XMOTIVO_656_WAIT_HOUR);
    expect(describeCStat('138').wire).toEqual(['Documento(s) localizado(s)', 'Documento localizado']);
    expect(describeCStat('589').wire[0]).toContain('doAmbiente Nacional');
    for (const info of CSTAT_CATALOG.values()) {
      expect(info.cStat).toMatch(/^[0-9]{3}$/);
      for (const w of info.wire) expect(w).toMatch(/^[\x20-\x7e]+$/); // the AN sends ASCII
    }
  });

  it('the 656 texts the simulator answers with', () => {
    expect(XMOTIVO_656_SEQUENCE).toBe('Rejeicao: Consumo Indevido (Deve ser utilizado o ultNSU nas solicitacoes subsequentes. Tente apos 1 hora)');
    expect(XMOTIVO_656_WAIT_HOUR).toBe(
      'Rejeicao: Consumo Indevido (Deve ser aguardado 1 hora para efetuar nova solicitacao caso nao existam mais documentos a serem pesquisados. Tente apos 1 hora)',
    );
    expect(XMOTIVO_656_LIMIT_20).toMatch(/^Rejeicao: Consumo Indevido \(.*ultrapassou o limite de 20 consultas por hora.*\)$/i);
    for (const t of [XMOTIVO_656_SEQUENCE, XMOTIVO_656_WAIT_HOUR, XMOTIVO_656_LIMIT_20]) expect(t.length).toBeLessThanOrEqual(255);
  });

  it('every code and text PROTOCOL.md §2 tables is in the catalog, verbatim', () => {
    const protocol = readFileSync(sefazSchemaPath('PROTOCOL.md'), 'utf8');
    const table = protocol.slice(protocol.indexOf('## 2. cStat values'), protocol.indexOf('## 3.'));
    const rows = [...table.matchAll(/^\| (\d{3}) \| (.+) \|$/gm)];
    expect(rows.length).toBeGreaterThan(30);
    for (const [, code, text] of rows) expect(describeCStat(code!).text, code).toBe(text);
    const wire = [...table.matchAll(/^ {2}- `(Rejeicao: [^`]+)`$/gm)].map((m) => m[1]!);
    expect(wire).toHaveLength(2);
    for (const w of wire) expect(describeCStat('656').wire).toContain(w);
  });
});
