/**
 * Test material: a CA, a server certificate for the simulator, and ICP-Brasil-style
 * e-CNPJ A1 .pfx files. Keys come from Node's native RSA generator and certificates are
 * signed natively too (forge's pure-JS RSA is 30 ms a signature, its key generation
 * far slower); forge only lays out the certificates.
 */
import forge from 'node-forge';
import {
  createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { cnpjProblem } from '../sefaz/identifiers.js';
import { CertificateError } from './errors.js';
import { OID_ICP_CNPJ } from './facts.js';
import { encodePfx } from './pfxWrite.js';

const { asn1, pki } = forge;
const { Class, Type } = asn1;
/** Missing from @types/node-forge; present in forge's x509.js. */
const getTBSCertificate = (pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** ICP-Brasil otherNames of an e-CNPJ besides the CNPJ: responsible person's data and name, INSS CEI. */
const OID_ICP_RESPONSIBLE_DATA = '2.16.76.1.3.4';
const OID_ICP_RESPONSIBLE_NAME = '2.16.76.1.3.2';
const OID_ICP_CEI = '2.16.76.1.3.7';
/** Policy of an ICP-Brasil A1 (as in the real certificates). */
const OID_ICP_A1_POLICY = '2.16.76.1.2.1.11';
const OID_CERTIFICATE_POLICIES = '2.5.29.32';

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface ValidityOptions {
  notBefore?: Date;
  notAfter?: Date;
}

export interface ClientPfxOptions extends ValidityOptions {
  cnpj: string;
  /** Company name, the CN; defaults to a test name. */
  name?: string;
  password: string;
  /** RC2-40 certificates and 3DES key, as older exports are; default AES-256. */
  legacy?: boolean;
  /** Where the CNPJ goes: the ICP-Brasil otherName (today's certificates) or `NAME:CNPJ` in the CN. */
  cnpjIn?: 'otherName' | 'cn';
}

function newKey(): { privateKey: KeyObject; publicKey: forge.pki.rsa.PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey,
    publicKey: pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) as forge.pki.rsa.PublicKey,
  };
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive and without a leading zero byte
  return bytes.toString('hex');
}

function signWith(cert: forge.pki.Certificate, key: KeyObject): void {
  cert.signatureOid = pki.oids.sha256WithRSAEncryption!;
  cert.siginfo.algorithmOid = pki.oids.sha256WithRSAEncryption!;
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbs = Buffer.from(asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, v: ValidityOptions, defaultDays: number): forge.pki.Certificate {
  const cert = pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = v.notBefore ?? new Date(Date.now() - HOUR);
  cert.validity.notAfter = v.notAfter ?? new Date(cert.validity.notBefore.getTime() + defaultDays * DAY);
  return cert;
}

const derOf = (cert: forge.pki.Certificate): Buffer =>
  Buffer.from(asn1.toDer(pki.certificateToAsn1(cert)).getBytes(), 'binary');

const keyPemOf = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

function issue(ca: PemPair, cert: forge.pki.Certificate, extensions: object[]): void {
  const caCert = pki.certificateFromPem(ca.certPem);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    ...extensions,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signWith(cert, createPrivateKey(ca.keyPem));
}

export function makeTestCA(opts: ValidityOptions & { name?: string } = {}): PemPair {
  const { privateKey, publicKey } = newKey();
  const cert = newCertificate(publicKey, opts, 3650);
  const subject = [
    { shortName: 'C', value: 'BR' },
    { shortName: 'O', value: 'dfe-sync test material' },
    { shortName: 'CN', value: opts.name ?? 'AC dfe-sync TESTE' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signWith(cert, privateKey);
  return { certPem: pki.certificateToPem(cert), keyPem: keyPemOf(privateKey) };
}

export function makeServerCertificate(ca: PemPair, hosts: string[] = ['127.0.0.1', 'localhost']): PemPair {
  const { privateKey, publicKey } = newKey();
  const cert = newCertificate(publicKey, {}, 730);
  cert.setSubject([
    { shortName: 'C', value: 'BR' },
    { shortName: 'O', value: 'dfe-sync test material' },
    { shortName: 'CN', value: hosts[0] ?? 'localhost' },
  ]);
  issue(ca, cert, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  return { certPem: pki.certificateToPem(cert), keyPem: keyPemOf(privateKey) };
}

/** `[0] { OID, [0] EXPLICIT OCTET STRING }`, how ICP-Brasil writes its otherNames. */
function otherName(oid: string, value: string): forge.asn1.Asn1 {
  return asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [
    asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(oid).getBytes()),
    asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, value)]),
  ]);
}

/** An ICP-Brasil-style e-CNPJ A1, its CA inside, as the bytes of a .pfx. */
export function makeClientPfx(ca: PemPair, opts: ClientPfxOptions): Buffer {
  const { privateKey, publicKey } = newKey();
  const cert = newCertificate(publicKey, opts, 365);
  const name = opts.name ?? `EMPRESA TESTE ${opts.cnpj} LTDA`;
  cert.setSubject([
    { shortName: 'C', value: 'BR' },
    { shortName: 'O', value: 'ICP-Brasil' },
    { shortName: 'OU', value: 'Secretaria da Receita Federal do Brasil - RFB' },
    { shortName: 'OU', value: 'RFB e-CNPJ A1' },
    { shortName: 'OU', value: 'dfe-sync test material' },
    { shortName: 'CN', value: opts.cnpjIn === 'cn' ? `${name}:${opts.cnpj}` : name },
  ]);
  const altNames = [
    // birth date DDMMAAAA, CPF, NIS, RG, RG issuer + UF
    otherName(OID_ICP_RESPONSIBLE_DATA, '01011980' + '00000000191' + '0'.repeat(11) + '0'.repeat(15) + '0'.repeat(6)),
    otherName(OID_ICP_RESPONSIBLE_NAME, 'RESPONSAVEL TESTE'),
    ...(opts.cnpjIn === 'cn' ? [] : [otherName(OID_ICP_CNPJ, opts.cnpj)]),
    otherName(OID_ICP_CEI, '0'.repeat(12)),
  ];
  const policy = asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
    asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, [
      asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(OID_ICP_A1_POLICY).getBytes()),
    ]),
  ]);
  issue(ca, cert, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true, emailProtection: true },
    { name: 'subjectAltName', value: asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, altNames) },
    { id: OID_CERTIFICATE_POLICIES, value: policy },
  ]);
  return encodePfx({
    keyDer: privateKey.export({ type: 'pkcs8', format: 'der' }),
    certsDer: [derOf(cert), derOf(pki.certificateFromPem(ca.certPem))],
    password: opts.password,
    legacy: opts.legacy ?? false,
    friendlyName: name,
  });
}

export interface TestMaterial {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clients: { cnpj: string; pfx: string; passwordFile: string }[];
  /** The files this call wrote; every other one was there and was kept as it was. */
  written: string[];
}

export interface TestMaterialOptions {
  /** The password of a new .pfx; default random. */
  password?: (cnpj: string) => string;
  legacy?: boolean;
}

const PRIVATE = 0o600;
const PUBLIC = 0o644;

/** Whole file or nothing, with its mode set before it appears. */
function writeFileAtomic(path: string, data: string | Buffer, mode: number): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, data, { mode, flag: 'wx' });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function incomplete(dir: string, present: string, missing: string, fix: string): CertificateError {
  return new CertificateError(
    'CERT_TEST_MATERIAL_INCOMPLETE',
    `${dir} has ${present} but not ${missing}: ${fix}`,
  );
}

/**
 * Creates whatever `dir` lacks and keeps what is there: `ca.pem` + `ca.key` (so later
 * client certificates share the CA), `server.pem` + `server.key`, and per CNPJ
 * `<cnpj>.pfx` with its password in `<cnpj>.pass` (no trailing newline). A new CA means
 * everything it must sign is made again.
 */
export function ensureTestMaterial(dir: string, cnpjs: string[], opts: TestMaterialOptions = {}): TestMaterial {
  for (const cnpj of cnpjs) {
    const problem = cnpjProblem(cnpj);
    if (problem !== null) throw new RangeError(problem);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = (name: string): string => join(dir, name);
  const m: TestMaterial = {
    dir,
    caCert: at('ca.pem'),
    caKey: at('ca.key'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clients: cnpjs.map((cnpj) => ({ cnpj, pfx: at(`${cnpj}.pfx`), passwordFile: at(`${cnpj}.pass`) })),
    written: [],
  };
  const write = (path: string, data: string | Buffer, mode: number): void => {
    writeFileAtomic(path, data, mode);
    m.written.push(path);
  };

  let ca: PemPair;
  const haveCaCert = existsSync(m.caCert);
  const haveCaKey = existsSync(m.caKey);
  if (haveCaCert !== haveCaKey) {
    throw haveCaCert
      ? incomplete(dir, 'ca.pem', 'ca.key', 'new certificates cannot be signed by that CA; restore ca.key, or remove ca.pem and the certificates it signed')
      : incomplete(dir, 'ca.key', 'ca.pem', 'restore ca.pem, or remove ca.key and the certificates it signed');
  }
  const freshCa = !haveCaCert;
  if (freshCa) {
    ca = makeTestCA();
    write(m.caKey, ca.keyPem, PRIVATE);
    write(m.caCert, ca.certPem, PUBLIC);
  } else {
    ca = { certPem: readFileSync(m.caCert, 'utf8'), keyPem: readFileSync(m.caKey, 'utf8') };
  }

  if (freshCa || !existsSync(m.serverCert) || !existsSync(m.serverKey)) {
    const server = makeServerCertificate(ca);
    write(m.serverKey, server.keyPem, PRIVATE);
    write(m.serverCert, server.certPem, PUBLIC);
  }

  for (const c of m.clients) {
    const havePfx = existsSync(c.pfx);
    const havePass = existsSync(c.passwordFile);
    if (havePfx && !havePass) {
      throw incomplete(dir, `${c.cnpj}.pfx`, `${c.cnpj}.pass`, `its password is unknown; restore ${c.cnpj}.pass or remove ${c.cnpj}.pfx`);
    }
    if (havePfx && !freshCa) continue;
    let password: string;
    if (havePass) {
      password = readFileSync(c.passwordFile, 'utf8').replace(/\r?\n$/, '');
    } else {
      password = opts.password?.(c.cnpj) ?? randomBytes(12).toString('base64url');
      write(c.passwordFile, password, PRIVATE);
    }
    write(c.pfx, makeClientPfx(ca, { cnpj: c.cnpj, password, legacy: opts.legacy ?? false }), PRIVATE);
  }
  return m;
}
