import { encodeDocZip } from '../../src/sefaz/docZip.js';
import { escapeXml } from '../../src/sefaz/xml.js';

/** Builds retDistDFeInt answers for tests, wrapped as SEFAZ (SOAP 1.2), Python fixtures (1.1) or bare. */
export interface RetDocSpec {
  NSU?: string;
  schema?: string;
  /** The document: encoded with encodeDocZip. */
  xml?: string | Buffer;
  /** Raw docZip text, used as is (to inject garbage). */
  raw?: string;
}

export interface RetSpec {
  tpAmb?: string;
  cStat: string;
  xMotivo?: string;
  ultNSU?: string;
  maxNSU?: string;
  docs?: RetDocSpec[];
}

export type Wrap = 'soap12' | 'soap11' | 'bare';

export function retDistDFeInt(spec: RetSpec, wrap: Wrap = 'soap12'): string {
  const docs = spec.docs ?? [];
  const zips = docs
    .map((d) => {
      const attrs = (d.NSU === undefined ? '' : ` NSU="${d.NSU}"`) + (d.schema === undefined ? '' : ` schema="${escapeXml(d.schema)}"`);
      const content = d.raw ?? encodeDocZip(d.xml ?? '');
      return `<docZip${attrs}>${content}</docZip>`;
    })
    .join('');
  const ret =
    '<retDistDFeInt xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" versao="1.01" xmlns="http://www.portalfiscal.inf.br/nfe">' +
    `<tpAmb>${spec.tpAmb ?? '1'}</tpAmb><verAplic>1.7.6</verAplic><cStat>${spec.cStat}</cStat>` +
    `<xMotivo>${escapeXml(spec.xMotivo ?? 'Documento(s) localizado(s)')}</xMotivo><dhResp>2026-01-26T23:59:59-03:00</dhResp>` +
    (spec.ultNSU === undefined ? '' : `<ultNSU>${spec.ultNSU}</ultNSU>`) +
    (spec.maxNSU === undefined ? '' : `<maxNSU>${spec.maxNSU}</maxNSU>`) +
    (docs.length > 0 ? `<loteDistDFeInt>${zips}</loteDistDFeInt>` : '') +
    '</retDistDFeInt>';
  if (wrap === 'bare') return ret;
  const ns = wrap === 'soap12' ? 'http://www.w3.org/2003/05/soap-envelope' : 'http://schemas.xmlsoap.org/soap/envelope/';
  return (
    `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
    '<soap:Body><nfeDistDFeInteresseResponse xmlns="http://www.portalfiscal.inf.br/nfe/wsdl/NFeDistribuicaoDFe"><nfeDistDFeInteresseResult>' +
    ret +
    '</nfeDistDFeInteresseResult></nfeDistDFeInteresseResponse></soap:Body></soap:Envelope>'
  );
}

export const NFE_NS = 'http://www.portalfiscal.inf.br/nfe';

export function resNFeXml(o: { chNFe: string; CNPJ?: string; xNome?: string; vNF?: string }): string {
  return (
    `<resNFe xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" versao="1.01" xmlns="${NFE_NS}">` +
    `<chNFe>${o.chNFe}</chNFe><CNPJ>${o.CNPJ ?? '75104406000547'}</CNPJ><xNome>${escapeXml(o.xNome ?? 'EMPRESA TESTE LTDA')}</xNome>` +
    '<IE>9067526381</IE><dhEmi>2024-12-28T10:05:49-03:00</dhEmi><tpNF>1</tpNF>' +
    `<vNF>${o.vNF ?? '690.25'}</vNF><dhRecbto>2024-12-28T10:07:23-03:00</dhRecbto><nProt>141240401263049</nProt><cSitNFe>1</cSitNFe></resNFe>`
  );
}

/** A procEventoNFe shaped like the AN's (leiauteEvento_v1.00.xsd), unsigned. */
export function procEventoXml(o: { chNFe: string; CNPJ: string }): string {
  return (
    `<procEventoNFe xmlns="${NFE_NS}" versao="1.00"><evento versao="1.00"><infEvento Id="ID210200${o.chNFe}01">` +
    `<cOrgao>91</cOrgao><tpAmb>1</tpAmb><CNPJ>${o.CNPJ}</CNPJ><chNFe>${o.chNFe}</chNFe>` +
    '<dhEvento>2026-01-20T10:00:00-03:00</dhEvento><tpEvento>210200</tpEvento><nSeqEvento>1</nSeqEvento><verEvento>1.00</verEvento>' +
    '<detEvento versao="1.00"><descEvento>Confirmacao da Operacao</descEvento></detEvento></infEvento></evento>' +
    '<retEvento versao="1.00"><infEvento Id="ID891260000000001"><tpAmb>1</tpAmb><verAplic>AN_1.0.0</verAplic><cOrgao>91</cOrgao>' +
    `<cStat>135</cStat><xMotivo>Evento registrado e vinculado a NF-e</xMotivo><chNFe>${o.chNFe}</chNFe><tpEvento>210200</tpEvento>` +
    `<xEvento>Confirmacao da Operacao</xEvento><nSeqEvento>1</nSeqEvento><CNPJDest>${o.CNPJ}</CNPJDest>` +
    '<dhRegEvento>2026-01-20T10:00:05-03:00</dhRegEvento><nProt>891260000000001</nProt></infEvento></retEvento></procEventoNFe>'
  );
}
