import { buildAccessKey, cnpjCheckDigits } from '../sefaz/identifiers.js';
import { escapeXml } from '../sefaz/xml.js';
import type { TpAmb } from '../sefaz/endpoints.js';
import {
  AN_EVENT_AUTHOR,
  CANCEL_REASONS,
  CCE_CONDITIONS,
  CITIES,
  CORRECTIONS,
  DISTRICTS,
  PRODUCTS,
  STREETS,
  companyName,
  type City,
} from './catalog.js';
import { dhBrasilia, money } from './format.js';
import { Prng } from './prng.js';

/**
 * The documents the national environment distributes to one interested CNPJ, generated
 * from a seed: summaries of the NF-e issued against it (resNFe, most of them), full
 * NF-e once "manifested" (procNFe), event summaries (resEvento: CT-e/MDF-e registrations,
 * cancellations) and full events (procEventoNFe: cancellations, correction letters).
 *
 * resNFe/resEvento follow resNFe_v1.01.xsd/resEvento_v1.01.xsd; procNFe follows
 * procNFe_v4.00.xsd (PL_009; PL_010 when the issuer's CNPJ is alphanumeric, the only
 * layout that admits one); procEventoNFe follows procEventoNFe_v1.00.xsd. Signatures are
 * structurally valid with dummy values: nothing here verifies them.
 *
 * Issuers with alphanumeric CNPJs (issued since July 2026) make keys with letters; the
 * distribution and event schemas still say `[0-9]{44}`, so those documents break only
 * those two patterns, as real ones will until SEFAZ updates the schemas.
 */

export type SimDocKind = 'resNFe' | 'procNFe' | 'resEvento' | 'procEventoNFe';
/** cSitNFe of resNFe: 1 authorized, 2 denied, 3 cancelled. */
export type NFeSituation = '1' | '2' | '3';

/** What SEFAZ knows of an NF-e when an event about it arrives. */
export interface NFeFacts {
  chNFe: string;
  cSitNFe: NFeSituation;
  /** Authorization (protNFe dhRecbto), ms: the manifestation deadlines run from it. */
  authorizedAt: number;
  /** Its procNFe was distributed, or is on its way (claimFull). */
  fullClaimed: boolean;
}

export const SCHEMA_OF: Readonly<Record<SimDocKind, string>> = {
  resNFe: 'resNFe_v1.01.xsd',
  procNFe: 'procNFe_v4.00.xsd',
  resEvento: 'resEvento_v1.01.xsd',
  procEventoNFe: 'procEventoNFe_v1.00.xsd',
};

export interface SimDocument {
  kind: SimDocKind;
  schema: string;
  /** The key of the NF-e the document is (about). */
  chNFe: string;
  xml: string;
  /** When the AN received it (ms): after 90 days it is no longer served. */
  receivedAt: number;
}

interface Party {
  cnpj: string;
  name: string;
  ie: string;
  city: City;
  street: string;
  number: string;
  district: string;
  cep: string;
  /** 1 Simples Nacional, 3 regime normal. */
  crt: '1' | '3';
  /** A dummy DER certificate (base64) its documents are "signed" with. */
  certificate: string;
}

interface Item {
  product: (typeof PRODUCTS)[number];
  qty: number;
  unitCents: number;
}

interface NFe {
  chNFe: string;
  emitter: Party;
  nNF: string;
  cNF: string;
  dhEmi: number;
  dhRecbto: number;
  /** When the AN first received it: the 90-day clock of consChNFe. */
  receivedAt: number;
  items: Item[];
  vNF: number;
  nProt: string;
  digVal: string;
  procSent: boolean;
  cancelled: boolean;
  /** Denied NF-e are never cancelled, manifested or sent in full. */
  denied: boolean;
  eventsSeen: Set<string>;
  cceCount: number;
}

const NFE_NS = 'http://www.portalfiscal.inf.br/nfe';
const DS_NS = 'http://www.w3.org/2000/09/xmldsig#';
const AN_ROOT_ATTRS = 'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const SUPPLIERS = 14;
const ALPHANUMERIC_SHARE = 0.15;
/** Events target one of the recent NF-e, as in real streams. */
const RECENT = 200;

export interface DocumentFactoryOptions {
  /** The interested CNPJ the documents are distributed to. */
  recipient: string;
  seed: number;
  tpAmb: TpAmb;
}

export class DocumentFactory {
  private readonly prng: Prng;
  private readonly recipient: Party;
  private readonly suppliers: Party[] = [];
  private readonly nextNumber = new Map<string, number>();
  private readonly recent: NFe[] = [];
  private readonly byKey = new Map<string, NFe>();

  constructor(private readonly opts: DocumentFactoryOptions) {
    // One stream per (seed, CNPJ): a company's documents do not depend on the others'.
    this.prng = new Prng(`dfe-sync-sim:${opts.seed}:${opts.recipient}`);
    this.recipient = this.party(opts.recipient);
    for (let i = 0; i < SUPPLIERS; i++) {
      const alphanumeric = this.prng.chance(ALPHANUMERIC_SHARE);
      const base12 = alphanumeric
        ? this.prng.alphanumerics(8) + '0001'
        : String(this.prng.int(1, 99_999_999)).padStart(8, '0') + '0001';
      const supplier = this.party(base12 + cnpjCheckDigits(base12));
      this.suppliers.push(supplier);
      this.nextNumber.set(supplier.cnpj, this.prng.int(1, 90_000));
    }
  }

  /** When the AN received the NF-e with this key (null when this factory never made it). */
  nfeReceivedAt(chNFe: string): number | null {
    return this.byKey.get(chNFe)?.receivedAt ?? null;
  }

  /** What SEFAZ knows of the NF-e with this key (null when this factory never made it). */
  nfeFacts(chNFe: string): NFeFacts | null {
    const nfe = this.byKey.get(chNFe);
    if (nfe === undefined) return null;
    return {
      chNFe,
      cSitNFe: situation(nfe),
      authorizedAt: nfe.dhRecbto,
      fullClaimed: nfe.procSent,
    };
  }

  /**
   * Reserves the NF-e's procNFe for a later fullDocument() (a manifestation released
   * it), so that the stream does not send it meanwhile. False when it cannot be had:
   * unknown, denied, or already sent or reserved.
   */
  claimFull(chNFe: string): boolean {
    const nfe = this.byKey.get(chNFe);
    if (nfe === undefined || nfe.denied || nfe.procSent) return false;
    nfe.procSent = true;
    return true;
  }

  /** The procNFe of an NF-e this factory made: the invoice its resNFe summarised, received at `receivedAt`. */
  fullDocument(chNFe: string, receivedAt: number): SimDocument | null {
    const nfe = this.byKey.get(chNFe);
    return nfe === undefined || nfe.denied ? null : this.procNFe(nfe, receivedAt);
  }

  /** A new NF-e in situation `cSitNFe`, received by the AN at `receivedAt`: its resNFe. */
  issue(receivedAt: number, cSitNFe: NFeSituation): SimDocument {
    // A denied NF-e is out of the stream's reach: nothing happens to it afterwards.
    const nfe = this.newNFe(receivedAt, cSitNFe !== '2');
    nfe.denied = cSitNFe === '2';
    nfe.cancelled = cSitNFe === '3';
    if (nfe.cancelled) nfe.eventsSeen.add('110111');
    return this.resNFe(nfe, receivedAt);
  }

  /**
   * The next document of the stream, received by the AN at `receivedAt`. With
   * `summariesOnly`, a resNFe of a new authorized NF-e every time.
   */
  next(receivedAt: number, summariesOnly = false): SimDocument {
    if (summariesOnly) return this.resNFe(this.newNFe(receivedAt), receivedAt);
    const r = this.prng.next();
    if (r < 0.62 || this.recent.length === 0) return this.resNFe(this.newNFe(receivedAt), receivedAt);
    if (r < 0.75) {
      const manifested = this.recent.find((n) => !n.procSent && !n.cancelled);
      return this.procNFe(manifested ?? this.newNFe(receivedAt), receivedAt);
    }
    const target = this.prng.pick(this.recent);
    if (r < 0.9) return this.resEvento(target, receivedAt);
    return this.procEventoNFe(target, receivedAt);
  }

  private party(cnpj: string): Party {
    const p = this.prng;
    const city = p.pick(CITIES);
    return {
      cnpj,
      name: companyName(p.next(), p.next(), p.next()),
      ie: p.digits(p.int(9, 12)).replace(/^0/, '1'),
      city,
      street: p.pick(STREETS),
      number: String(p.int(1, 4999)),
      district: p.pick(DISTRICTS),
      cep: city.cep5 + p.digits(3),
      crt: p.chance(0.35) ? '1' : '3',
      certificate: p.bytes(480).toString('base64'),
    };
  }

  private newNFe(receivedAt: number, inStream = true): NFe {
    const p = this.prng;
    // Frequent suppliers are frequent: skew towards the first ones.
    const emitter = this.suppliers[Math.floor(p.next() ** 2 * this.suppliers.length)]!;
    const n = this.nextNumber.get(emitter.cnpj)!;
    this.nextNumber.set(emitter.cnpj, n + 1);
    const dhRecbto = receivedAt - p.int(0, 90) * 1000;
    const dhEmi = dhRecbto - p.int(5, 1800) * 1000;
    const local = dhBrasilia(dhEmi);
    const cNF = p.digits(8);
    const chNFe = buildAccessKey({
      cUF: emitter.city.cUF,
      AAMM: local.slice(2, 4) + local.slice(5, 7),
      CNPJ: emitter.cnpj,
      mod: '55',
      serie: '1',
      nNF: String(n),
      tpEmis: '1',
      cNF,
    });
    const items: Item[] = [];
    const count = p.int(1, 4);
    for (let i = 0; i < count; i++) {
      const product = p.pick(PRODUCTS);
      items.push({ product, qty: p.int(1, 40), unitCents: Math.max(1, Math.round(product.cents * (0.8 + p.next() * 0.4))) });
    }
    const nfe: NFe = {
      chNFe,
      emitter,
      nNF: String(n),
      cNF,
      dhEmi,
      dhRecbto,
      receivedAt,
      items,
      vNF: items.reduce((sum, it) => sum + it.qty * it.unitCents, 0),
      nProt: `1${emitter.city.cUF}${local.slice(2, 4)}${p.digits(10)}`,
      digVal: p.bytes(20).toString('base64'),
      procSent: false,
      cancelled: false,
      denied: false,
      eventsSeen: new Set(),
      cceCount: 0,
    };
    if (inStream) {
      this.recent.push(nfe);
      if (this.recent.length > RECENT) this.recent.shift();
    }
    this.byKey.set(chNFe, nfe);
    return nfe;
  }

  private resNFe(nfe: NFe, receivedAt: number): SimDocument {
    const e = nfe.emitter;
    const xml =
      `<resNFe ${AN_ROOT_ATTRS} versao="1.01" xmlns="${NFE_NS}">` +
      `<chNFe>${nfe.chNFe}</chNFe><CNPJ>${e.cnpj}</CNPJ><xNome>${escapeXml(e.name)}</xNome><IE>${e.ie}</IE>` +
      `<dhEmi>${dhBrasilia(nfe.dhEmi)}</dhEmi><tpNF>1</tpNF><vNF>${money(nfe.vNF)}</vNF><digVal>${nfe.digVal}</digVal>` +
      `<dhRecbto>${dhBrasilia(nfe.dhRecbto)}</dhRecbto><nProt>${nfe.nProt}</nProt><cSitNFe>${situation(nfe)}</cSitNFe>` +
      '</resNFe>';
    return { kind: 'resNFe', schema: SCHEMA_OF.resNFe, chNFe: nfe.chNFe, xml, receivedAt };
  }

  private procNFe(nfe: NFe, receivedAt: number): SimDocument {
    nfe.procSent = true;
    const e = nfe.emitter;
    const d = this.recipient;
    const tpAmb = this.opts.tpAmb;
    const interstate = e.city.uf !== d.city.uf;
    const icmsRate = e.crt === '3' ? (interstate ? 12 : 18) : 0;
    let vICMS = 0;
    let vPIS = 0;
    let vCOFINS = 0;
    const dets = nfe.items
      .map((it, i) => {
        const vProd = it.qty * it.unitCents;
        let taxes: string;
        if (e.crt === '1') {
          taxes =
            '<ICMS><ICMSSN102><orig>0</orig><CSOSN>102</CSOSN></ICMSSN102></ICMS>' +
            '<PIS><PISOutr><CST>99</CST><vBC>0.00</vBC><pPIS>0.0000</pPIS><vPIS>0.00</vPIS></PISOutr></PIS>' +
            '<COFINS><COFINSOutr><CST>99</CST><vBC>0.00</vBC><pCOFINS>0.0000</pCOFINS><vCOFINS>0.00</vCOFINS></COFINSOutr></COFINS>';
        } else {
          const icms = Math.round((vProd * icmsRate) / 100);
          const pis = Math.round((vProd * 165) / 10000);
          const cofins = Math.round((vProd * 760) / 10000);
          vICMS += icms;
          vPIS += pis;
          vCOFINS += cofins;
          taxes =
            `<ICMS><ICMS00><orig>0</orig><CST>00</CST><modBC>3</modBC><vBC>${money(vProd)}</vBC><pICMS>${icmsRate}.0000</pICMS><vICMS>${money(icms)}</vICMS></ICMS00></ICMS>` +
            `<PIS><PISAliq><CST>01</CST><vBC>${money(vProd)}</vBC><pPIS>1.6500</pPIS><vPIS>${money(pis)}</vPIS></PISAliq></PIS>` +
            `<COFINS><COFINSAliq><CST>01</CST><vBC>${money(vProd)}</vBC><pCOFINS>7.6000</pCOFINS><vCOFINS>${money(cofins)}</vCOFINS></COFINSAliq></COFINS>`;
        }
        return (
          `<det nItem="${i + 1}"><prod><cProd>${String(PRODUCTS.indexOf(it.product) + 1001)}</cProd><cEAN>SEM GTIN</cEAN>` +
          `<xProd>${it.product.xProd}</xProd><NCM>${it.product.NCM}</NCM><CFOP>${interstate ? '6102' : '5102'}</CFOP>` +
          `<uCom>${it.product.uCom}</uCom><qCom>${it.qty}.0000</qCom><vUnCom>${money(it.unitCents)}00000000</vUnCom>` +
          `<vProd>${money(vProd)}</vProd><cEANTrib>SEM GTIN</cEANTrib><uTrib>${it.product.uCom}</uTrib><qTrib>${it.qty}.0000</qTrib>` +
          `<vUnTrib>${money(it.unitCents)}00000000</vUnTrib><indTot>1</indTot></prod>` +
          `<imposto>${taxes}</imposto></det>`
        );
      })
      .join('');
    const vBC = e.crt === '3' ? nfe.vNF : 0;
    const id = `NFe${nfe.chNFe}`;
    const destName =
      tpAmb === '2' ? 'NF-E EMITIDA EM AMBIENTE DE HOMOLOGACAO - SEM VALOR FISCAL' : escapeXml(d.name);
    const infNFe =
      `<infNFe Id="${id}" versao="4.00">` +
      `<ide><cUF>${e.city.cUF}</cUF><cNF>${nfe.cNF}</cNF><natOp>VENDA DE MERCADORIA</natOp><mod>55</mod><serie>1</serie>` +
      `<nNF>${nfe.nNF}</nNF><dhEmi>${dhBrasilia(nfe.dhEmi)}</dhEmi><dhSaiEnt>${dhBrasilia(nfe.dhEmi)}</dhSaiEnt><tpNF>1</tpNF>` +
      `<idDest>${interstate ? '2' : '1'}</idDest><cMunFG>${e.city.cMun}</cMunFG><tpImp>1</tpImp><tpEmis>1</tpEmis>` +
      `<cDV>${nfe.chNFe.slice(43)}</cDV><tpAmb>${tpAmb}</tpAmb><finNFe>1</finNFe><indFinal>0</indFinal><indPres>9</indPres>` +
      '<procEmi>0</procEmi><verProc>ERP 4.2.17</verProc></ide>' +
      `<emit><CNPJ>${e.cnpj}</CNPJ><xNome>${escapeXml(e.name)}</xNome>${address('enderEmit', e)}<IE>${e.ie}</IE><CRT>${e.crt}</CRT></emit>` +
      `<dest><CNPJ>${d.cnpj}</CNPJ><xNome>${destName}</xNome>${address('enderDest', d)}<indIEDest>1</indIEDest><IE>${d.ie}</IE></dest>` +
      dets +
      `<total><ICMSTot><vBC>${money(vBC)}</vBC><vICMS>${money(vICMS)}</vICMS><vICMSDeson>0.00</vICMSDeson><vFCP>0.00</vFCP>` +
      `<vBCST>0.00</vBCST><vST>0.00</vST><vFCPST>0.00</vFCPST><vFCPSTRet>0.00</vFCPSTRet><vProd>${money(nfe.vNF)}</vProd>` +
      '<vFrete>0.00</vFrete><vSeg>0.00</vSeg><vDesc>0.00</vDesc><vII>0.00</vII><vIPI>0.00</vIPI><vIPIDevol>0.00</vIPIDevol>' +
      `<vPIS>${money(vPIS)}</vPIS><vCOFINS>${money(vCOFINS)}</vCOFINS><vOutro>0.00</vOutro><vNF>${money(nfe.vNF)}</vNF></ICMSTot></total>` +
      '<transp><modFrete>0</modFrete></transp>' +
      `<pag><detPag><tPag>15</tPag><vPag>${money(nfe.vNF)}</vPag></detPag></pag>` +
      `<infAdic><infCpl>PEDIDO ${this.prng.digits(6)}</infCpl></infAdic>` +
      '</infNFe>';
    const xml =
      `<nfeProc xmlns="${NFE_NS}" versao="4.00"><NFe xmlns="${NFE_NS}">` +
      infNFe +
      this.signature(id, nfe.digVal, e.certificate) +
      `</NFe><protNFe versao="4.00"><infProt><tpAmb>${tpAmb}</tpAmb><verAplic>${e.city.uf}-v4_0_1</verAplic>` +
      `<chNFe>${nfe.chNFe}</chNFe><dhRecbto>${dhBrasilia(nfe.dhRecbto)}</dhRecbto><nProt>${nfe.nProt}</nProt>` +
      `<digVal>${nfe.digVal}</digVal><cStat>100</cStat><xMotivo>Autorizado o uso da NF-e</xMotivo></infProt></protNFe></nfeProc>`;
    return { kind: 'procNFe', schema: SCHEMA_OF.procNFe, chNFe: nfe.chNFe, xml, receivedAt };
  }

  private resEvento(nfe: NFe, receivedAt: number): SimDocument {
    const p = this.prng;
    const options: { tpEvento: string; xEvento: string; cOrgao: string; author: string }[] = [];
    if (!nfe.eventsSeen.has('610600')) {
      options.push({ tpEvento: '610600', xEvento: 'Registro de Autorização de CT-e para a NF-e', cOrgao: '91', author: AN_EVENT_AUTHOR });
    }
    if (!nfe.eventsSeen.has('610614')) {
      options.push({ tpEvento: '610614', xEvento: 'MDF-e Autorizado com CT-e', cOrgao: '91', author: AN_EVENT_AUTHOR });
    }
    if (!nfe.cancelled) {
      options.push({ tpEvento: '110111', xEvento: 'Cancelamento', cOrgao: nfe.emitter.city.cUF, author: nfe.emitter.cnpj });
    }
    if (options.length === 0) return this.resNFe(this.newNFe(receivedAt), receivedAt);
    const ev = p.pick(options);
    nfe.eventsSeen.add(ev.tpEvento);
    if (ev.tpEvento === '110111') nfe.cancelled = true;
    const dhEvento = receivedAt - p.int(0, 60) * 1000;
    const yy = dhBrasilia(dhEvento).slice(2, 4);
    const nProt = ev.cOrgao === '91' ? `891${yy}${p.digits(10)}` : `1${ev.cOrgao}${yy}${p.digits(10)}`;
    const xml =
      `<resEvento ${AN_ROOT_ATTRS} versao="1.01" xmlns="${NFE_NS}">` +
      `<cOrgao>${ev.cOrgao}</cOrgao><CNPJ>${ev.author}</CNPJ><chNFe>${nfe.chNFe}</chNFe>` +
      `<dhEvento>${dhBrasilia(dhEvento)}</dhEvento><tpEvento>${ev.tpEvento}</tpEvento><nSeqEvento>1</nSeqEvento>` +
      `<xEvento>${escapeXml(ev.xEvento)}</xEvento><dhRecbto>${dhBrasilia(receivedAt)}</dhRecbto><nProt>${nProt}</nProt>` +
      '</resEvento>';
    return { kind: 'resEvento', schema: SCHEMA_OF.resEvento, chNFe: nfe.chNFe, xml, receivedAt };
  }

  private procEventoNFe(nfe: NFe, receivedAt: number): SimDocument {
    const p = this.prng;
    const e = nfe.emitter;
    const cancel = !nfe.cancelled && p.chance(0.4);
    // A correction letter after a cancellation is refused by SEFAZ: fall back to a summary.
    if (!cancel && (nfe.cancelled || nfe.cceCount >= 20)) return this.resEvento(nfe, receivedAt);
    const tpEvento = cancel ? '110111' : '110110';
    const nSeq = cancel ? 1 : nfe.cceCount + 1;
    if (cancel) nfe.cancelled = true;
    else nfe.cceCount = nSeq;
    nfe.eventsSeen.add(tpEvento);
    const tpAmb = this.opts.tpAmb;
    const dhEvento = receivedAt - p.int(1, 120) * 1000;
    const yy = dhBrasilia(dhEvento).slice(2, 4);
    const id = `ID${tpEvento}${nfe.chNFe}${String(nSeq).padStart(2, '0')}`;
    const det = cancel
      ? `<descEvento>Cancelamento</descEvento><nProt>${nfe.nProt}</nProt><xJust>${p.pick(CANCEL_REASONS)}</xJust>`
      : `<descEvento>Carta de Correcao</descEvento><xCorrecao>${escapeXml(p.pick(CORRECTIONS))}</xCorrecao><xCondUso>${CCE_CONDITIONS}</xCondUso>`;
    const infEvento =
      `<infEvento Id="${id}"><cOrgao>${e.city.cUF}</cOrgao><tpAmb>${tpAmb}</tpAmb><CNPJ>${e.cnpj}</CNPJ>` +
      `<chNFe>${nfe.chNFe}</chNFe><dhEvento>${dhBrasilia(dhEvento)}</dhEvento><tpEvento>${tpEvento}</tpEvento>` +
      `<nSeqEvento>${nSeq}</nSeqEvento><verEvento>1.00</verEvento><detEvento versao="1.00">${det}</detEvento></infEvento>`;
    const nProt = `1${e.city.cUF}${yy}${p.digits(10)}`;
    const verAplic = e.city.uf === 'SP' ? 'SP_EVENTOS_PL_100' : 'SVRS202401151043';
    const xml =
      `<procEventoNFe ${AN_ROOT_ATTRS} versao="1.00" xmlns="${NFE_NS}">` +
      `<evento versao="1.00">${infEvento}${this.signature(id, p.bytes(20).toString('base64'), e.certificate)}</evento>` +
      `<retEvento versao="1.00"><infEvento Id="ID${nProt}"><tpAmb>${tpAmb}</tpAmb><verAplic>${verAplic}</verAplic>` +
      `<cOrgao>${e.city.cUF}</cOrgao><cStat>135</cStat><xMotivo>Evento registrado e vinculado a NF-e</xMotivo>` +
      `<chNFe>${nfe.chNFe}</chNFe><tpEvento>${tpEvento}</tpEvento>` +
      `<xEvento>${cancel ? 'Cancelamento registrado' : 'Carta de Correcao registrada'}</xEvento><nSeqEvento>${nSeq}</nSeqEvento>` +
      `<CNPJDest>${this.recipient.cnpj}</CNPJDest><dhRegEvento>${dhBrasilia(receivedAt)}</dhRegEvento><nProt>${nProt}</nProt>` +
      '</infEvento></retEvento></procEventoNFe>';
    return { kind: 'procEventoNFe', schema: SCHEMA_OF.procEventoNFe, chNFe: nfe.chNFe, xml, receivedAt };
  }

  /** An enveloped XML-DSig block as ICP-Brasil's xmldsig schema shapes it; values are dummies. */
  private signature(id: string, digest: string, certificate: string): string {
    return (
      `<Signature xmlns="${DS_NS}"><SignedInfo>` +
      '<CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>' +
      '<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>' +
      `<Reference URI="#${id}"><Transforms>` +
      '<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
      '<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>' +
      '</Transforms><DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>' +
      `<DigestValue>${digest}</DigestValue></Reference></SignedInfo>` +
      `<SignatureValue>${this.prng.bytes(256).toString('base64')}</SignatureValue>` +
      `<KeyInfo><X509Data><X509Certificate>${certificate}</X509Certificate></X509Data></KeyInfo></Signature>`
    );
  }
}

function situation(nfe: NFe): NFeSituation {
  return nfe.denied ? '2' : nfe.cancelled ? '3' : '1';
}

function address(tag: 'enderEmit' | 'enderDest', p: Party): string {
  return (
    `<${tag}><xLgr>${p.street}</xLgr><nro>${p.number}</nro><xBairro>${p.district}</xBairro>` +
    `<cMun>${p.city.cMun}</cMun><xMun>${p.city.xMun}</xMun><UF>${p.city.uf}</UF><CEP>${p.cep}</CEP>` +
    `<cPais>1058</cPais><xPais>BRASIL</xPais></${tag}>`
  );
}
