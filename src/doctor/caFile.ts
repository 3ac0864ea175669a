import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fail, ok, warn, type CheckResult } from './check.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CHECK = 'sefaz.caFile';

/** `sefaz.caFile`, when set: PEM certificates Node can read. Returns the text for the TLS checks. */
export function checkCaFile(file: string, now: number): { result: CheckResult; pem: string | null } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(error)})`;
    return { result: fail(CHECK, `${file} ${why}: fix sefaz.caFile or the file's permissions`), pem: null };
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    return {
      result: fail(CHECK, `${file} holds no PEM certificate: convert a DER .cer/.crt with openssl x509 -inform der -in FILE, a .p7b with openssl pkcs7 -print_certs -in FILE`),
      pem: null,
    };
  }
  const expired: string[] = [];
  for (const [i, block] of blocks.entries()) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block);
    } catch (error) {
      return { result: fail(CHECK, `certificate ${i + 1} of ${file} cannot be read (${(error as Error).message}): replace it`), pem: null };
    }
    if (Date.parse(cert.validTo) < now) expired.push(cert.subject.replace(/\n/g, ', '));
  }
  const count = `${blocks.length} certificate${blocks.length === 1 ? '' : 's'}`;
  if (expired.length > 0) {
    return { result: warn(CHECK, `${file}: ${count}, ${expired.length} expired (${expired.join('; ')}): get the current chain`), pem: text };
  }
  return { result: ok(CHECK, `${file}: ${count}`), pem: text };
}
