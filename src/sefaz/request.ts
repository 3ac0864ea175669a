import { cnpjProblem, formatNSU, isNSU, isValidAccessKey, isValidCpf, UF_CODES } from './identifiers.js';
import { BadRequestError } from './errors.js';
import type { DistQuery, DistRequest } from './types.js';

export const NFE_NAMESPACE = 'http://www.portalfiscal.inf.br/nfe';
/** The only version distDFeInt_v1.01.xsd accepts. */
export const DIST_VERSION = '1.01';

const UF_CODE_SET: ReadonlySet<string> = new Set(Object.values(UF_CODES));

/**
 * The distDFeInt message, elements in the order of distDFeInt_v1.01.xsd. Every field is
 * checked first: SEFAZ rejects a malformed request, and a rejected distNSU still costs
 * a call against the CNPJ's rules.
 */
export function buildDistDFeInt(req: DistRequest): string {
  if (req.tpAmb !== '1' && req.tpAmb !== '2') {
    throw new BadRequestError(`distDFeInt: tpAmb must be "1" (production) or "2" (homologation), not "${String(req.tpAmb)}"`);
  }
  const cUFAutor =
    req.cUFAutor === undefined ? '' : `<cUFAutor>${checkedUF(req.cUFAutor)}</cUFAutor>`;
  return (
    `<distDFeInt xmlns="${NFE_NAMESPACE}" versao="${DIST_VERSION}">` +
    `<tpAmb>${req.tpAmb}</tpAmb>` +
    cUFAutor +
    interestedElement(req.interested) +
    queryElement(req.query) +
    '</distDFeInt>'
  );
}

function checkedUF(code: string): string {
  if (!UF_CODE_SET.has(code)) {
    throw new BadRequestError(`distDFeInt: cUFAutor "${code}" is not the IBGE code of a state (e.g. "35" for SP)`);
  }
  return code;
}

function interestedElement(interested: DistRequest['interested']): string {
  if ('CNPJ' in interested) {
    const problem = cnpjProblem(interested.CNPJ);
    if (problem !== null) throw new BadRequestError(`distDFeInt: interested CNPJ ${problem}`);
    return `<CNPJ>${interested.CNPJ}</CNPJ>`;
  }
  if (!isValidCpf(interested.CPF)) {
    throw new BadRequestError(`distDFeInt: interested CPF "${interested.CPF}" is not an 11-digit CPF with valid check digits`);
  }
  return `<CPF>${interested.CPF}</CPF>`;
}

function queryElement(query: DistQuery): string {
  switch (query.kind) {
    case 'distNSU':
      return `<distNSU><ultNSU>${checkedNSU('ultNSU', query.ultNSU)}</ultNSU></distNSU>`;
    case 'consNSU':
      return `<consNSU><NSU>${checkedNSU('NSU', query.NSU)}</NSU></consNSU>`;
    case 'consChNFe':
      if (!isValidAccessKey(query.chNFe)) {
        throw new BadRequestError(
          `distDFeInt: chNFe "${query.chNFe}" is not a 44-character access key with a valid check digit`,
        );
      }
      return `<consChNFe><chNFe>${query.chNFe}</chNFe></consChNFe>`;
    default:
      throw new BadRequestError(`distDFeInt: unknown query kind "${(query as { kind: unknown }).kind}"`);
  }
}

function checkedNSU(field: string, nsu: string): string {
  if (typeof nsu !== 'string' || !isNSU(nsu)) {
    throw new BadRequestError(`distDFeInt: ${field} "${String(nsu)}" is not an NSU (1 to 15 digits)`);
  }
  return formatNSU(nsu);
}
