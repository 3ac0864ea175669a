/**
 * The SEFAZ answers that no retry can cure: each stops the company until the operator
 * fixes what the message names. Retrying them would only repeat a rejected call.
 */
import type { Stop } from './state.js';

type Query = 'dist' | 'targeted';

interface StopRule {
  code: string;
  what: string;
  action: string;
  /** 589 and 215 speak about the request itself: on a consNSU/consChNFe they concern that one query */
  distOnly?: boolean;
}

const CERTIFICATE_ACTION =
  'install a valid ICP-Brasil e-CNPJ certificate (A1) for this company, then resume it';

const STOP_RULES: Readonly<Record<string, StopRule>> = {
  '593': {
    code: 'CNPJ_BASE_MISMATCH',
    what: "the CNPJ base queried differs from the certificate's CNPJ base",
    action: "configure a certificate of this company (same first 8 digits of the CNPJ), then resume it",
  },
  '589': {
    code: 'NSU_ABOVE_MAX',
    what: "the ultNSU sent is above SEFAZ's highest NSU for this CNPJ",
    action:
      'the stored cursor or the configured startNSU does not belong to this CNPJ or environment (a state directory copied from elsewhere?): correct startNSU or the state, then resume it',
    distOnly: true,
  },
  '252': {
    code: 'ENVIRONMENT_MISMATCH',
    what: "the environment (tpAmb) sent differs from the endpoint's",
    action: 'check `environment` and `sefaz.urls` in the config, then resume the company',
  },
  '215': {
    code: 'REQUEST_SCHEMA_REJECTED',
    what: 'SEFAZ found the request XML invalid (schema failure)',
    action: "check the company's cnpj and uf in the config; if they are right this is a dfe-sync bug: report it with this log line, then resume the company",
    distOnly: true,
  },
  '489': {
    code: 'INVALID_CNPJ',
    what: 'SEFAZ found the CNPJ sent invalid',
    action: "correct the company's cnpj in the config, then resume it",
  },
  ...Object.fromEntries(
    ['214', '225', '243', '402', '404', '587', '588'].map((cStat) => [cStat, {
      code: 'REQUEST_REJECTED',
      what: 'SEFAZ rejected the form of the request message',
      action: 'this is a dfe-sync bug: report it with this log line, then resume the company',
      distOnly: true,
    }]),
  ),
  '280': { code: 'CERTIFICATE_REJECTED', what: 'the transmitting certificate is invalid', action: CERTIFICATE_ACTION },
  '281': { code: 'CERTIFICATE_REJECTED', what: "the transmitting certificate is outside its validity dates", action: CERTIFICATE_ACTION },
  '282': { code: 'CERTIFICATE_REJECTED', what: 'the transmitting certificate carries no CNPJ', action: CERTIFICATE_ACTION },
  '283': { code: 'CERTIFICATE_REJECTED', what: "the transmitting certificate's chain is wrong", action: 'install the certificate with its full ICP-Brasil chain, then resume the company' },
  '284': { code: 'CERTIFICATE_REJECTED', what: 'the transmitting certificate is revoked', action: CERTIFICATE_ACTION },
  '285': { code: 'CERTIFICATE_REJECTED', what: 'the transmitting certificate is not ICP-Brasil', action: CERTIFICATE_ACTION },
  '286': {
    code: 'CERTIFICATE_REJECTED',
    what: "SEFAZ could not check the transmitting certificate's revocation list (LCR)",
    action: "check that the certificate's CRL distribution point is reachable (or renew the certificate), then resume the company",
  },
};

/** The stop a cStat calls for on this kind of query, or null when it is not a stopping answer. */
export function stopForCStat(cStat: string, query: Query, xMotivo?: string): Stop | null {
  const rule = STOP_RULES[cStat];
  if (rule === undefined || (rule.distOnly === true && query === 'targeted')) return null;
  const said = xMotivo === undefined || xMotivo === '' ? '' : ` (SEFAZ: "${xMotivo}")`;
  return {
    code: rule.code,
    cStat,
    message: `stopped by SEFAZ cStat ${cStat}: ${rule.what}${said}; ${rule.action}`,
  };
}

export function certificateExpiredStop(notAfter: number): Stop {
  return {
    code: 'CERTIFICATE_EXPIRED',
    message: `stopped: the certificate expired at ${new Date(notAfter).toISOString()}; install a renewed e-CNPJ certificate for this company`,
  };
}
