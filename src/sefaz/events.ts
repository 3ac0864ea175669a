/**
 * The recipient's manifestation events (envEvento v1.00, PROTOCOL.md §3), unsigned:
 * src/cert/sign.ts signs each infEvento. Every field is checked here because a rejected
 * event is final (SEFAZ answers 656 to the same rejected request sent again), so a
 * malformed one must never leave the process.
 */
import type { TpAmb } from './endpoints.js';
import { localParts, zoneOffset } from '../time/zone.js';
import { BadRequestError } from './errors.js';
import { cnpjProblem, isValidAccessKey, isValidCpf } from './identifiers.js';
import { NFE_NAMESPACE } from './request.js';
import { escapeXml } from './xml.js';

export type EventCode = '210200' | '210210' | '210220' | '210240';
export type EventName = 'ciencia' | 'confirmacao' | 'desconhecimento' | 'nao-realizada';

export interface EventType {
  name: EventName;
  /** descEvento exactly as leiauteConfRecebto_v1.00.xsd enumerates it (no accents). */
  descEvento: string;
  /** Whether detEvento carries xJust: per-event schemas e210200…e210240. */
  xJust: 'required' | 'optional' | 'absent';
}

export const EVENT_TYPES: Readonly<Record<EventCode, EventType>> = {
  '210200': { name: 'confirmacao', descEvento: 'Confirmacao da Operacao', xJust: 'absent' },
  '210210': { name: 'ciencia', descEvento: 'Ciencia da Operacao', xJust: 'absent' },
  '210220': { name: 'desconhecimento', descEvento: 'Desconhecimento da Operacao', xJust: 'optional' },
  '210240': { name: 'nao-realizada', descEvento: 'Operacao nao Realizada', xJust: 'required' },
};

/** The tpEvento of an event name (the CLI's `--event ciencia`). */
export function eventCodeOf(name: EventName): EventCode {
  const found = (Object.keys(EVENT_TYPES) as EventCode[]).find((code) => EVENT_TYPES[code].name === name);
  if (found === undefined) {
    const names = Object.values(EVENT_TYPES).map((t) => t.name).join(', ');
    throw new BadRequestError(`unknown event "${String(name)}": use one of ${names}`);
  }
  return found;
}

/** cOrgao of the national environment (AN), which receives the recipient's events. */
export const AN_ORGAO = '91';
/** versao of envEvento, evento and detEvento, and verEvento. */
export const EVENT_VERSION = '1.00';
/** envEvento holds 1 to 20 evento (TEnvEvento maxOccurs). */
export const MAX_EVENTS_PER_BATCH = 20;

export interface EventInput {
  tpAmb: TpAmb;
  author: { CNPJ: string } | { CPF: string };
  chNFe: string;
  tpEvento: EventCode;
  /** 1 to 99; default 1 (the recipient's events are one of each type per NF-e). */
  nSeqEvento?: number;
  /** `YYYY-MM-DDThh:mm:ss±hh:00` (see formatDhEvento). */
  dhEvento: string;
  /** 15–255 characters; required for 210240, optional for 210220, refused for the others. */
  xJust?: string;
}

export interface EnvEventoInput {
  /** 1 to 15 digits (see newIdLote). */
  idLote: string;
  events: readonly EventInput[];
}

const ID_LOTE = /^[0-9]{1,15}$/;
/** TDateTimeUTC of tiposBasico_v1.03.xsd: years 20xx, real dates, offsets ±00..11:00 or +12:00. */
const DATE_TIME_UTC =
  /^(((20(([02468][048])|([13579][26]))-02-29))|(20[0-9][0-9])-((((0[1-9])|(1[0-2]))-((0[1-9])|(1\d)|(2[0-8])))|((((0[13578])|(1[02]))-31)|(((0[13-9])|(1[0-2]))-(29|30)))))T(20|21|22|23|[0-1]\d):[0-5]\d:[0-5]\d([-+](0[0-9]|10|11):00|(\+12:00))$/;
/**
 * xJust of the schemas (Latin-1, no blank at either end), without the C1 controls
 * U+007F–U+009F the schema lets through: nobody types them, and the signer's XML parser
 * (xmldom) reads U+0085 as a line break, which would change the text being signed.
 */
const XJUST = /^[!-~\u00a0-\u00ff]([ -~\u00a0-\u00ff]*[!-~\u00a0-\u00ff])?$/;

/** Id of infEvento: "ID" + tpEvento + chNFe + nSeqEvento in 2 digits. */
export function eventId(tpEvento: EventCode, chNFe: string, nSeqEvento: number): string {
  return `ID${tpEvento}${chNFe}${String(nSeqEvento).padStart(2, '0')}`;
}

/**
 * The envEvento message: `<envEvento xmlns versao><idLote/><evento xmlns versao>
 * <infEvento Id>…</infEvento></evento>…</envEvento>`, no XML declaration, no whitespace
 * between elements (SEFAZ 588). Each evento repeats the NF-e namespace, as sped-nfe
 * sends it, so that a signed evento stays valid XML on its own (procEventoNFe).
 */
export function buildEnvEvento(input: EnvEventoInput): string {
  if (typeof input.idLote !== 'string' || !ID_LOTE.test(input.idLote)) {
    throw new BadRequestError(`envEvento: idLote "${String(input.idLote)}" must be 1 to 15 digits`);
  }
  const events = input.events;
  if (!Array.isArray(events) || events.length < 1 || events.length > MAX_EVENTS_PER_BATCH) {
    throw new BadRequestError(
      `envEvento: a batch holds 1 to ${MAX_EVENTS_PER_BATCH} events, not ${Array.isArray(events) ? events.length : 'none'}`,
    );
  }
  const ids = new Set<string>();
  const parts = events.map((event, i) => {
    const where = `event ${i + 1} of ${events.length}`;
    if (event.tpAmb !== events[0]!.tpAmb) {
      throw new BadRequestError(`envEvento: ${where} is for tpAmb ${event.tpAmb} but the batch for tpAmb ${events[0]!.tpAmb}: one environment per batch`);
    }
    const xml = eventoElement(event, where);
    const id = xml.id;
    if (ids.has(id)) {
      throw new BadRequestError(`envEvento: ${where} repeats ${id}: the same event twice in a batch fails the whole batch`);
    }
    ids.add(id);
    return xml.text;
  });
  return (
    `<envEvento xmlns="${NFE_NAMESPACE}" versao="${EVENT_VERSION}">` +
    `<idLote>${input.idLote}</idLote>` +
    parts.join('') +
    '</envEvento>'
  );
}

function eventoElement(event: EventInput, where: string): { id: string; text: string } {
  if (event.tpAmb !== '1' && event.tpAmb !== '2') {
    throw new BadRequestError(`envEvento: ${where}: tpAmb must be "1" (production) or "2" (homologation), not "${String(event.tpAmb)}"`);
  }
  const type = Object.hasOwn(EVENT_TYPES, event.tpEvento) ? EVENT_TYPES[event.tpEvento] : undefined;
  if (type === undefined) {
    throw new BadRequestError(
      `envEvento: ${where}: tpEvento "${String(event.tpEvento)}" is not a recipient's event (${Object.keys(EVENT_TYPES).join(', ')})`,
    );
  }
  if (typeof event.chNFe !== 'string' || !isValidAccessKey(event.chNFe)) {
    throw new BadRequestError(`envEvento: ${where}: chNFe "${String(event.chNFe)}" is not a 44-character access key with a valid check digit`);
  }
  const nSeqEvento = event.nSeqEvento ?? 1;
  if (!Number.isInteger(nSeqEvento) || nSeqEvento < 1 || nSeqEvento > 99) {
    throw new BadRequestError(`envEvento: ${where}: nSeqEvento must be a whole number from 1 to 99, not ${String(nSeqEvento)}`);
  }
  if (typeof event.dhEvento !== 'string' || !DATE_TIME_UTC.test(event.dhEvento)) {
    throw new BadRequestError(
      `envEvento: ${where}: dhEvento "${String(event.dhEvento)}" is not YYYY-MM-DDThh:mm:ss with a whole-hour UTC offset (e.g. 2026-03-01T09:30:00-03:00)`,
    );
  }
  const id = eventId(event.tpEvento, event.chNFe, nSeqEvento);
  return {
    id,
    text:
      `<evento xmlns="${NFE_NAMESPACE}" versao="${EVENT_VERSION}"><infEvento Id="${id}">` +
      `<cOrgao>${AN_ORGAO}</cOrgao>` +
      `<tpAmb>${event.tpAmb}</tpAmb>` +
      authorElement(event.author, where) +
      `<chNFe>${event.chNFe}</chNFe>` +
      `<dhEvento>${event.dhEvento}</dhEvento>` +
      `<tpEvento>${event.tpEvento}</tpEvento>` +
      `<nSeqEvento>${nSeqEvento}</nSeqEvento>` +
      `<verEvento>${EVENT_VERSION}</verEvento>` +
      `<detEvento versao="${EVENT_VERSION}"><descEvento>${type.descEvento}</descEvento>${xJustElement(event, type, where)}</detEvento>` +
      '</infEvento></evento>',
  };
}

function authorElement(author: EventInput['author'], where: string): string {
  if (author !== null && typeof author === 'object' && 'CNPJ' in author) {
    const problem = cnpjProblem(String(author.CNPJ));
    if (problem !== null) throw new BadRequestError(`envEvento: ${where}: author CNPJ ${problem}`);
    return `<CNPJ>${author.CNPJ}</CNPJ>`;
  }
  if (author !== null && typeof author === 'object' && 'CPF' in author) {
    if (!isValidCpf(String(author.CPF))) {
      throw new BadRequestError(`envEvento: ${where}: author CPF "${String(author.CPF)}" is not an 11-digit CPF with valid check digits`);
    }
    return `<CPF>${author.CPF}</CPF>`;
  }
  throw new BadRequestError(`envEvento: ${where}: the author must be { CNPJ } or { CPF }`);
}

function xJustElement(event: EventInput, type: EventType, where: string): string {
  const xJust = event.xJust;
  if (xJust === undefined) {
    if (type.xJust === 'required') {
      throw new BadRequestError(`envEvento: ${where}: "${type.descEvento}" needs a justification (xJust, 15 to 255 characters)`);
    }
    return '';
  }
  if (type.xJust === 'absent') {
    throw new BadRequestError(`envEvento: ${where}: "${type.descEvento}" takes no justification (xJust): its schema refuses one`);
  }
  const length = typeof xJust === 'string' ? [...xJust].length : -1;
  if (length < 15 || length > 255) {
    throw new BadRequestError(`envEvento: ${where}: the justification (xJust) must have 15 to 255 characters, not ${length < 0 ? 'none' : length}`);
  }
  if (!XJUST.test(xJust)) {
    const bad = [...xJust].find((c) => c < ' ' || (c >= '\u007f' && c <= '\u009f') || c > '\u00ff');
    throw new BadRequestError(
      `envEvento: ${where}: the justification (xJust) ` +
        (bad === undefined
          ? 'must not start or end with a space'
          : `holds "${bad === '\n' ? '\\n' : bad}" (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}): only printable single-line Latin-1 text is accepted`),
    );
  }
  return `<xJust>${escapeXml(xJust)}</xJust>`;
}

/**
 * dhEvento for an instant as the company's clock reads it: `YYYY-MM-DDThh:mm:ss-03:00`,
 * with the zone's UTC offset at that instant (Intl's "GMT-03:00"). SEFAZ's
 * TDateTimeUTC admits whole-hour offsets only, which every Brazilian zone has.
 */
export function formatDhEvento(at: number, timeZone: string): string {
  if (!Number.isFinite(at)) throw new BadRequestError(`dhEvento: ${String(at)} is not an instant`);
  let p;
  let offsetMinutes;
  try {
    p = localParts(at, timeZone);
    offsetMinutes = Math.round(zoneOffset(at, timeZone) / 60_000);
  } catch (err) {
    throw new BadRequestError(`"${timeZone}" is not a time zone this system knows (e.g. America/Sao_Paulo): ${(err as Error).message}`);
  }
  if (offsetMinutes % 60 !== 0) {
    throw new BadRequestError(`dhEvento: ${timeZone}'s UTC offset (${offsetMinutes} min) is not a whole hour, which SEFAZ refuses`);
  }
  const two = (n: number): string => String(n).padStart(2, '0');
  const tz = `${offsetMinutes < 0 ? '-' : '+'}${two(Math.abs(offsetMinutes) / 60)}:00`;
  const text = `${p.year}-${two(p.month)}-${two(p.day)}T${two(p.hour)}:${two(p.minute)}:${two(p.second)}${tz}`;
  if (!DATE_TIME_UTC.test(text)) {
    throw new BadRequestError(`dhEvento: ${text} is outside what SEFAZ accepts (years 2000–2099, offsets -11:00 to +12:00)`);
  }
  return text;
}

/**
 * A numeric idLote: the UTC instant as YYMMDDhhmmss plus 3 random digits (15 digits).
 * SEFAZ only echoes it back; it tells one batch's answer from another's in the logs.
 */
export function newIdLote(now: number, random: () => number = Math.random): string {
  const d = new Date(now);
  if (Number.isNaN(d.getTime())) throw new BadRequestError(`idLote: ${String(now)} is not an instant`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const stamp =
    two(d.getUTCFullYear() % 100) + two(d.getUTCMonth() + 1) + two(d.getUTCDate()) +
    two(d.getUTCHours()) + two(d.getUTCMinutes()) + two(d.getUTCSeconds());
  const suffix = String(Math.min(999, Math.floor(random() * 1000))).padStart(3, '0');
  return stamp + suffix;
}
