/**
 * Writing PKCS#12 files the way the two generations of real ones are made, for test
 * material. forge's own writer leaves certificates unencrypted and cannot produce
 * RC2-40, so the file is assembled here from forge's primitives:
 * - modern (OpenSSL 3 default): certificates and key under PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC, SHA-256 MAC;
 * - legacy (`openssl pkcs12 -legacy`, older Windows exports): certificates under
 *   pbeWithSHA1And40BitRC2-CBC, key under pbeWithSHA1And3-KeyTripleDES-CBC, SHA-1 MAC.
 */
import forge from 'node-forge';
import { createHash, randomBytes } from 'node:crypto';

const { asn1, pki } = forge;
const { Class, Type } = asn1;

const ITERATIONS = 2048;
const OID_ENCRYPTED_DATA = '1.2.840.113549.1.7.6';
const OID_RC2_40 = '1.2.840.113549.1.12.1.6';

export interface PfxContents {
  /** The private key as PKCS#8 DER. */
  keyDer: Buffer;
  /** DER certificates, the key's own first, then its chain. */
  certsDer: Buffer[];
  password: string;
  legacy: boolean;
  friendlyName?: string;
}

const seq = (items: forge.asn1.Asn1[]): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.SET, true, items);
const oid = (o: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.OID, false, asn1.oidToDer(o).getBytes());
const octetString = (bytes: string): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes);
const integer = (n: number): forge.asn1.Asn1 => asn1.create(Class.UNIVERSAL, Type.INTEGER, false, asn1.integerToDer(n).getBytes());
const explicit0 = (item: forge.asn1.Asn1): forge.asn1.Asn1 => asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [item]);
const der = (node: forge.asn1.Asn1): string => asn1.toDer(node).getBytes();
const random = (n: number): string => randomBytes(n).toString('binary');

/** ContentInfo of type data. */
function dataContent(safeContents: forge.asn1.Asn1): forge.asn1.Asn1 {
  return seq([oid(pki.oids.data!), explicit0(octetString(der(safeContents)))]);
}

/** ContentInfo of type encryptedData around SafeContents, with the given algorithm and ciphertext. */
function encryptedContent(algorithm: forge.asn1.Asn1, ciphertext: string): forge.asn1.Asn1 {
  return seq([
    oid(OID_ENCRYPTED_DATA),
    explicit0(
      seq([
        integer(0),
        seq([oid(pki.oids.data!), algorithm, asn1.create(Class.CONTEXT_SPECIFIC, 0, false, ciphertext)]),
      ]),
    ),
  ]);
}

function rc2Encrypt(plain: string, password: string): { algorithm: forge.asn1.Asn1; ciphertext: string } {
  const salt = random(8);
  const saltBuf = (): forge.util.ByteBuffer => forge.util.createBuffer(salt);
  const key = forge.pkcs12.generateKey(password, saltBuf(), 1, ITERATIONS, 5);
  const iv = forge.pkcs12.generateKey(password, saltBuf(), 2, ITERATIONS, 8);
  const cipher = forge.rc2.createEncryptionCipher(key, 40);
  cipher.start(iv);
  cipher.update(forge.util.createBuffer(plain));
  cipher.finish();
  return {
    algorithm: seq([oid(OID_RC2_40), seq([octetString(salt), integer(ITERATIONS)])]),
    ciphertext: cipher.output.getBytes(),
  };
}

/**
 * forge's PBES2 encryptor takes any ASN.1 value, not only keys; it feeds PBKDF2 the
 * password as given, so the UTF-8 bytes are passed, as OpenSSL does.
 */
function pbes2Encrypt(node: forge.asn1.Asn1, password: string): forge.asn1.Asn1 {
  return pki.encryptPrivateKeyInfo(node, Buffer.from(password, 'utf8').toString('binary'), {
    algorithm: 'aes256',
    count: ITERATIONS,
    prfAlgorithm: 'sha256',
  });
}

function bagAttributes(localKeyId: string, friendlyName: string | undefined): forge.asn1.Asn1 {
  const attrs = [seq([oid(pki.oids.localKeyId!), set([octetString(localKeyId)])])];
  if (friendlyName !== undefined) {
    attrs.push(seq([oid(pki.oids.friendlyName!), set([asn1.create(Class.UNIVERSAL, Type.BMPSTRING, false, friendlyName)])]));
  }
  return set(attrs);
}

export function encodePfx(c: PfxContents): Buffer {
  const leaf = c.certsDer[0];
  if (leaf === undefined) throw new RangeError('a .pfx needs at least the key\'s certificate');
  const attrs = bagAttributes(createHash('sha1').update(leaf).digest('binary'), c.friendlyName);

  const certBags = seq(
    c.certsDer.map((cert, i) =>
      seq([
        oid(pki.oids.certBag!),
        explicit0(seq([oid(pki.oids.x509Certificate!), explicit0(octetString(cert.toString('binary')))])),
        ...(i === 0 ? [attrs] : []),
      ]),
    ),
  );
  let certContent: forge.asn1.Asn1;
  if (c.legacy) {
    const { algorithm, ciphertext } = rc2Encrypt(der(certBags), c.password);
    certContent = encryptedContent(algorithm, ciphertext);
  } else {
    const [algorithm, ciphertext] = pbes2Encrypt(certBags, c.password).value as forge.asn1.Asn1[];
    certContent = encryptedContent(algorithm!, String(ciphertext!.value));
  }

  const keyInfo = asn1.fromDer(c.keyDer.toString('binary'));
  const shrouded = c.legacy
    ? pki.encryptPrivateKeyInfo(keyInfo, c.password, { algorithm: '3des', count: ITERATIONS })
    : pbes2Encrypt(keyInfo, c.password);
  const keyContent = dataContent(seq([seq([oid(pki.oids.pkcs8ShroudedKeyBag!), explicit0(shrouded), attrs])]));

  const authSafe = der(seq([certContent, keyContent]));
  const md = (): forge.md.MessageDigest => (c.legacy ? forge.md.sha1.create() : forge.md.sha256.create());
  const macSalt = random(8);
  const macKey = forge.pkcs12.generateKey(c.password, forge.util.createBuffer(macSalt), 3, ITERATIONS, md().digestLength, md());
  const hmac = forge.hmac.create();
  hmac.start(md(), macKey.getBytes());
  hmac.update(authSafe);
  const macData = seq([
    seq([seq([oid(c.legacy ? pki.oids.sha1! : pki.oids.sha256!), asn1.create(Class.UNIVERSAL, Type.NULL, false, '')]), octetString(hmac.digest().getBytes())]),
    octetString(macSalt),
    integer(ITERATIONS),
  ]);

  const pfx = seq([integer(3), seq([oid(pki.oids.data!), explicit0(octetString(authSafe))]), macData]);
  return Buffer.from(der(pfx), 'binary');
}
