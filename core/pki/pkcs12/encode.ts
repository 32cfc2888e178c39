/**
 * Builds a PFX (RFC 7292) from already-validated parts. encodePkcs12() in index.ts does the
 * validation; this module trusts its input, so tests can also build deliberately odd files.
 *
 * Layout (what OpenSSL 3 writes, with stronger parameters):
 *   PFX v3
 *     authSafe (id-data) = SEQUENCE OF
 *       1. encryptedData: PBES2 → SafeContents of certBags (leaf first, then the chain)
 *       2. data: SafeContents with the pkcs8ShroudedKeyBag (PBES2)
 *     macData: HMAC-SHA256, key from the PKCS#12 KDF (SHA-256, ID 3)
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as A from './asn1.js';
import { bmpPassword, KDF_ID_MAC, pkcs12Kdf } from './kdf.js';
import { OID, SHA256 } from './oids.js';
import { aes256CbcEncrypt, deriveAes256Key, pbes2AlgorithmId } from './pbes2.js';

interface BagAttributes {
  friendlyName?: string | undefined;
  localKeyId?: Buffer | undefined;
}

export interface PfxSpec {
  /** PKCS#8 PrivateKeyInfo DER of each key (exactly one in real files; tests build others). */
  keys: Array<{ pkcs8: Buffer } & BagAttributes>;
  /** DER certificates with their bag attributes, in the order they are stored. */
  certs: Array<{ der: Buffer } & BagAttributes>;
}

export interface PfxParams {
  /** PBKDF2-HMAC-SHA256 count for both encrypted parts. */
  iterations: number;
  /** PKCS#12-KDF (SHA-256) count for the MAC key. */
  macIterations: number;
}

const SALT_BYTES = 16;
const IV_BYTES = 16;

function attributes(a: BagAttributes): A.Node[] {
  const out: A.Node[] = [];
  if (a.friendlyName !== undefined) out.push(A.mkSequence(A.mkOid(OID.friendlyName), A.mkSetOf([A.mkBmpString(a.friendlyName)])));
  if (a.localKeyId !== undefined) out.push(A.mkSequence(A.mkOid(OID.localKeyId), A.mkSetOf([A.mkOctets(a.localKeyId)])));
  return out;
}

export function safeBag(bagOid: string, value: A.Node, attrs: BagAttributes): A.Node {
  const a = attributes(attrs);
  return a.length ? A.mkSequence(A.mkOid(bagOid), A.mkExplicit(0, value), A.mkSetOf(a)) : A.mkSequence(A.mkOid(bagOid), A.mkExplicit(0, value));
}

export const certBag = (c: { der: Buffer } & BagAttributes): A.Node =>
  safeBag(OID.certBag, A.mkSequence(A.mkOid(OID.x509Certificate), A.mkExplicit(0, A.mkOctets(c.der))), c);

/**
 * The salts, IVs and keys that protect one PFX. The keys depend only on the password and fresh
 * salts, not on what they will protect, so generate and renew start deriving them before the RSA
 * key exists (startProtection) and the work overlaps the key generation. Used once: a salt and IV
 * pair never protects two files.
 */
export interface PfxProtection {
  readonly params: PfxParams;
  take(): { certSalt: Buffer; certIv: Buffer; keySalt: Buffer; keyIv: Buffer; macSalt: Buffer; keys: Promise<[Buffer, Buffer, Buffer]> };
}

export function startProtection(password: string, params: PfxParams): PfxProtection {
  const utf8 = Buffer.from(password, 'utf8');
  const bmp = bmpPassword(password);
  const certSalt = randomBytes(SALT_BYTES);
  const keySalt = randomBytes(SALT_BYTES);
  const macSalt = randomBytes(SALT_BYTES);
  // Both PBKDF2 derivations go to the libuv threadpool first (they run in parallel on two
  // cores), then the MAC key's KDF loop runs on this thread meanwhile, in slices that let the
  // event loop (and a key generation on the threadpool) go on.
  const certKeyP = deriveAes256Key(utf8, certSalt, params.iterations);
  const keyKeyP = deriveAes256Key(utf8, keySalt, params.iterations);
  const macKeyP = pkcs12Kdf(SHA256, bmp, macSalt, KDF_ID_MAC, params.macIterations, SHA256.outputBytes);
  const keys = Promise.allSettled([certKeyP, keyKeyP, macKeyP]).then((settled) => {
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of settled) if (s.status === 'fulfilled') s.value.fill(0);
      throw failed.reason;
    }
    return settled.map((s) => (s as PromiseFulfilledResult<Buffer>).value) as [Buffer, Buffer, Buffer];
  });
  // A caller that fails before it builds the file (the key generation, say) never awaits this.
  keys.catch(() => {});
  let taken = false;
  return {
    params,
    take() {
      if (taken) throw new Error('a PFX protection is used once: its salts and IVs protect one file');
      taken = true;
      return { certSalt, certIv: randomBytes(IV_BYTES), keySalt, keyIv: randomBytes(IV_BYTES), macSalt, keys };
    },
  };
}

export async function buildPfx(spec: PfxSpec, password: string, params: PfxParams): Promise<Buffer> {
  return buildPfxWith(spec, startProtection(password, params));
}

export async function buildPfxWith(spec: PfxSpec, protection: PfxProtection): Promise<Buffer> {
  const { params } = protection;
  const { certSalt, certIv, keySalt, keyIv, macSalt, keys } = protection.take();
  const [certKey, keyKey, macKey] = await keys;

  try {
    const certContents = A.toDer(A.mkSequence(...spec.certs.map(certBag)));
    const certCipher = aes256CbcEncrypt(certKey, certIv, certContents);
    const certsInfo = A.mkSequence(
      A.mkOid(OID.encryptedData),
      A.mkExplicit(
        0,
        A.mkSequence(
          A.mkInteger(0),
          A.mkSequence(A.mkOid(OID.data), pbes2AlgorithmId(certSalt, params.iterations, certIv), A.mkImplicitOctets(0, certCipher)),
        ),
      ),
    );

    // One key in real files; the salt/IV pair is only ever shared by test-built multi-key files.
    const keyBags = spec.keys.map((k) => {
      const shrouded = A.mkSequence(pbes2AlgorithmId(keySalt, params.iterations, keyIv), A.mkOctets(aes256CbcEncrypt(keyKey, keyIv, k.pkcs8)));
      return safeBag(OID.pkcs8ShroudedKeyBag, shrouded, k);
    });
    const keyContents = A.toDer(A.mkSequence(...keyBags));
    const keyInfo = A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(keyContents)));

    const authSafe = A.toDer(A.mkSequence(certsInfo, keyInfo));
    const mac = createHmac('sha256', macKey).update(authSafe).digest();

    const pfx = A.mkSequence(
      A.mkInteger(3),
      A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(authSafe))),
      A.mkSequence(
        A.mkSequence(A.mkSequence(A.mkOid(OID.sha256), A.mkNull()), A.mkOctets(mac)),
        A.mkOctets(macSalt),
        A.mkInteger(params.macIterations),
      ),
    );
    return A.toDer(pfx);
  } finally {
    certKey.fill(0);
    keyKey.fill(0);
    macKey.fill(0);
  }
}
