/**
 * Reads a PFX (RFC 7292) in password-integrity, password-privacy mode.
 *
 * Order of work, chosen so that a hostile or wrong input costs as little as possible:
 *   1. parse every structure that is readable without the password and check every algorithm
 *      and iteration count (unsupported → refused, count > maxIterations → refused) before any
 *      password hashing starts;
 *   2. start the PBES2 key derivations on the threadpool (prefetch; nothing is decrypted yet)
 *      and verify the MAC on this thread meanwhile; a mismatch is a wrong password;
 *   3. only then decrypt, parse the decrypted bags, and pick the certificate matching the key.
 */
import { createHmac, createPrivateKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { badInput, wrongPassword } from '../../errors.js';
import * as A from './asn1.js';
import { CODES, hostileIterations, malformed, tooManyItems, unsupported } from './failures.js';
import { bmpPassword, KDF_ID_MAC, pkcs12Kdf } from './kdf.js';
import { certificatePublicKeyDer, keyMismatch, readPfxCertificate, publicKeyDerOf } from './match.js';
import { describeOid, DIGESTS, OID, type Digest } from './oids.js';
import { LIMITS } from './limits.js';
import { parsePbe, type Passwords, type Pbe } from './pbe.js';
import { kdfWork, pbeWork, TOTAL_WORK_FACTOR } from './work.js';

/** What decode returns; index.ts exports it as Pkcs12Contents. */
export interface DecodedPfx {
  privateKey: KeyObject;
  /** DER of the certificate whose public key matches privateKey. */
  certificate: Buffer;
  /** All other certificates, DER, in file order, without duplicates. */
  chain: Buffer[];
  friendlyName?: string;
  /** E.g. 'HMAC-SHA256/PKCS12-KDF/1200000' (MAC digest, key derivation, iterations). */
  macAlgorithm: string;
  /**
   * How each part is protected, in file order: one entry per encrypted part and per shrouded
   * key, e.g. 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/600000', 'pbeWithSHA1And40BitRC2-CBC/2048',
   * 'pbeWithSHA1And3-KeyTripleDES-CBC/2048'; 'NONE' for certificates or a key stored unencrypted.
   */
  encryption: string[];
}

interface Bag {
  friendlyName?: string;
  localKeyId?: Buffer;
}
interface CertEntry extends Bag {
  der: Buffer;
}
interface KeyEntry extends Bag {
  /** Absent for an unencrypted keyBag. */
  pbe?: Pbe;
  data: Buffer;
}
/** One ContentInfo of the authenticated safe. */
interface Part {
  pbe?: Pbe;
  /** Plain SafeContents DER, or the ciphertext if pbe is set. */
  data: Buffer;
}

class Reader {
  bags = 0;
  readonly certs: CertEntry[] = [];
  readonly keys: KeyEntry[] = [];
  /** Key-derivation work the file asks for so far, in work units (see work.ts). */
  private work = 0;
  /**
   * @param macCandidates how many passwords the MAC is tried with (two for an empty password:
   *   the BMP "" and the absent-password variant), since each costs a full KDF run.
   */
  constructor(
    readonly maxIterations: number,
    private readonly macCandidates: number,
  ) {}

  /**
   * One item may cost as much as maxIterations of the fastest KDF we run, and the whole file
   * three times that (a MAC and two PBES2 items at the limit). The budget is in work, not in
   * counts: 10,000,000 SHA-1 MAC iterations (one node:crypto call each) took 21 s to refuse a
   * wrong password, where the same count of SHA-256 takes a few. Without a total, sixteen
   * legacy parts each under the limit made a 1.4 kB file cost minutes of CPU.
   */
  checkIterations(n: number, where: string, label: string, unitCost: number): void {
    if (n < 1) throw malformed(`${where} iteration count`);
    const work = n * unitCost;
    if (work > this.maxIterations) throw hostileIterations({ where, label, count: n, work, max: this.maxIterations });
    this.work += work;
    const total = this.maxIterations * TOTAL_WORK_FACTOR;
    if (this.work > total) throw hostileIterations({ where: 'whole file', label, count: n, work: this.work, max: total });
  }

  checkedPbe(algorithm: A.Node | undefined, where: string): Pbe {
    const pbe = parsePbe(algorithm, where);
    this.checkIterations(pbe.iterations, where, pbe.description, pbeWork(pbe));
    return pbe;
  }

  checkMac(n: number, digest: Digest): void {
    this.checkIterations(n, 'integrity check (MAC)', `HMAC-${digest.label}`, kdfWork(digest) * this.macCandidates);
  }

  /**
   * Reads a SafeContents (SEQUENCE OF SafeBag); `encrypted` says whether it came out of a PBE.
   * Returns how its keys and certificates are protected, for Pkcs12Contents.encryption.
   */
  readSafeContents(der: Buffer, where: string, encrypted: boolean): string[] {
    const bags = A.sequence(A.parse(der, where), where);
    const protection: string[] = [];
    let plainCerts = false;
    for (const bag of bags) {
      if (++this.bags > LIMITS.maxBags) throw tooManyItems('items', LIMITS.maxBags);
      const [idNode, valueNode, attrsNode] = A.sequence(bag, `${where} bag`, 2, 3);
      const id = A.oid(idNode, `${where} bag type`);
      const value = A.explicit(valueNode, 0, `${where} bag value`);
      const attrs = attrsNode ? readAttributes(attrsNode, `${where} bag attributes`) : {};
      if (id === OID.certBag) {
        const [typeNode, certNode] = A.sequence(value, `${where} certificate bag`, 2, 2);
        const type = A.oid(typeNode, `${where} certificate type`);
        if (type !== OID.x509Certificate) continue; // e.g. SDSI certificates: not ours to use
        this.certs.push({ ...attrs, der: A.octets(A.explicit(certNode, 0, `${where} certificate`), `${where} certificate`) });
        plainCerts ||= !encrypted;
      } else if (id === OID.pkcs8ShroudedKeyBag) {
        const [algorithm, data] = A.sequence(value, `${where} shrouded key`, 2, 2);
        const pbe = this.checkedPbe(algorithm, `${where} shrouded key`);
        this.keys.push({ ...attrs, pbe, data: A.octets(data, `${where} shrouded key`) });
        protection.push(pbe.description);
      } else if (id === OID.keyBag) {
        A.sequence(value, `${where} key`, 3); // a PrivateKeyInfo; Node parses it for real below
        this.keys.push({ ...attrs, data: A.toDer(value) });
        if (!encrypted) protection.push('NONE');
      }
      // crlBag, secretBag, safeContentsBag and unknown bag types carry nothing we use.
    }
    if (plainCerts) protection.push('NONE');
    return protection;
  }
}

function readAttributes(node: A.Node, where: string): Bag {
  const out: Bag = {};
  for (const attr of A.set(node, where, 0, LIMITS.maxAttributes)) {
    const [oidNode, valuesNode] = A.sequence(attr, where, 2, 2);
    const oid = A.oid(oidNode, where);
    const values = A.set(valuesNode, where, 0, LIMITS.maxAttributes);
    if (oid === OID.friendlyName && values[0]) out.friendlyName = A.bmpString(values[0], `${where} friendlyName`);
    else if (oid === OID.localKeyId && values[0]) out.localKeyId = A.octets(values[0], `${where} localKeyId`);
  }
  return out;
}

interface Mac {
  digest: Digest;
  value: Buffer;
  salt: Buffer;
  iterations: number;
}

function readMacData(node: A.Node, reader: Reader): Mac {
  const [digestInfo, saltNode, iterNode] = A.sequence(node, 'MAC data', 2, 3);
  const [algorithm, valueNode] = A.sequence(digestInfo, 'MAC digest', 2, 2);
  const [oidNode, params] = A.sequence(algorithm, 'MAC algorithm', 1, 2);
  if (!A.isNullOrAbsent(params)) throw malformed('MAC algorithm');
  const oid = A.oid(oidNode, 'MAC algorithm');
  const digest = DIGESTS[oid];
  if (!digest) throw unsupported(`${describeOid(oid)} for the integrity check`);
  const value = A.octets(valueNode, 'MAC value');
  if (value.length !== digest.outputBytes) throw malformed('MAC value');
  const salt = A.octets(saltNode, 'MAC salt');
  if (salt.length > LIMITS.maxSaltBytes) throw malformed('MAC salt');
  const iterations = iterNode ? A.integer(iterNode, 'MAC iteration count') : 1; // DEFAULT 1
  reader.checkMac(iterations, digest);
  return { digest, value, salt, iterations };
}

function readContentInfo(node: A.Node, index: number, reader: Reader): Part {
  const where = `part ${index + 1}`;
  const [typeNode, contentNode] = A.sequence(node, where, 1, 2);
  const type = A.oid(typeNode, `${where} type`);
  if (type === OID.data) return { data: A.octets(A.explicit(contentNode, 0, where), where) };
  if (type === OID.encryptedData) {
    const [versionNode, eci] = A.sequence(A.explicit(contentNode, 0, where), `${where} encrypted data`, 2, 3);
    A.integer(versionNode, `${where} version`);
    const [ctNode, algorithm, encrypted] = A.sequence(eci, `${where} encrypted content`, 3, 3);
    if (A.oid(ctNode, `${where} content type`) !== OID.data) throw malformed(`${where} content type`);
    const pbe = reader.checkedPbe(algorithm, where);
    return { pbe, data: A.implicitOctets(encrypted, 0, `${where} encrypted content`) };
  }
  throw unsupported(describeOid(type));
}

async function verifyMac(mac: Mac, authSafe: Buffer, candidates: Buffer[]): Promise<Buffer | undefined> {
  for (const bmp of candidates) {
    const key = await pkcs12Kdf(mac.digest, bmp, mac.salt, KDF_ID_MAC, mac.iterations, mac.digest.outputBytes);
    const computed = createHmac(mac.digest.name, key).update(authSafe).digest();
    key.fill(0);
    if (computed.length === mac.value.length && timingSafeEqual(computed, mac.value)) return bmp;
  }
  return undefined;
}

export async function decodePfx(data: Buffer, password: string, maxIterations: number): Promise<DecodedPfx> {
  if (data.length === 0) throw malformed('empty file');
  if (data.length > LIMITS.maxInputBytes)
    throw badInput(
      CODES.tooLarge,
      `The file is ${data.length} bytes, larger than any real PKCS#12 file (limit ${LIMITS.maxInputBytes}); it may be hostile. Export only the certificate, its chain and its key.`,
      { bytes: data.length, max: LIMITS.maxInputBytes },
    );
  const reader = new Reader(maxIterations, password === '' ? 2 : 1);

  // 1. Everything readable without the password.
  const [versionNode, authSafeInfo, macNode] = A.sequence(A.parse(data, 'PFX'), 'PFX', 2, 3);
  const version = A.integer(versionNode, 'PFX version');
  if (version !== 3) throw malformed(`PFX version ${version}`);
  const [authTypeNode, authContent] = A.sequence(authSafeInfo, 'authenticated safe', 1, 2);
  const authType = A.oid(authTypeNode, 'authenticated safe type');
  if (authType !== OID.data) throw unsupported(describeOid(authType));
  const authSafe = A.octets(A.explicit(authContent, 0, 'authenticated safe'), 'authenticated safe');
  if (!macNode)
    throw badInput(
      CODES.noMac,
      'The file has no integrity check (MAC), so a damaged or tampered file cannot be detected. Export it again with a password-based MAC and retry.',
    );
  const mac = readMacData(macNode, reader);
  const partNodes = A.sequence(A.parse(authSafe, 'authenticated safe'), 'authenticated safe', 0, LIMITS.maxContentInfos);
  const parts = partNodes.map((node, i) => readContentInfo(node, i, reader));

  // Plain parts are read now, so their shrouded keys' algorithms and counts get checked too.
  const protection: string[][] = parts.map((part, i) => (part.pbe ? [part.pbe.description] : reader.readSafeContents(part.data, `part ${i + 1}`, false)));

  // 2. Integrity before anything is decrypted.
  const utf8 = Buffer.from(password, 'utf8');
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  const prefetchable = [...parts.map((p) => p.pbe), ...reader.keys.map((k) => k.pbe)].filter((p): p is Pbe => !!p);
  for (const pbe of prefetchable.slice(0, LIMITS.maxPrefetch)) pbe.prefetch({ utf8, bmp: candidates[0]! });
  const bmp = await verifyMac(mac, authSafe, candidates);
  if (!bmp) throw wrongPassword();
  const pw: Passwords = { utf8, bmp };

  // 3. Decrypt the encrypted parts (their PBES2 keys are probably ready) and read their bags.
  const decrypted = await Promise.all(parts.map((p) => (p.pbe ? p.pbe.decrypt(pw, p.data) : Promise.resolve(undefined))));
  for (const [i, plain] of decrypted.entries()) if (plain) protection[i]!.push(...reader.readSafeContents(plain, `part ${i + 1}`, true));

  if (reader.keys.length === 0)
    throw badInput(CODES.noKey, 'The file holds no private key. Export the certificate again with its private key ("export private key: yes") and retry.');
  if (reader.keys.length > 1)
    throw badInput(CODES.severalKeys, `The file holds ${reader.keys.length} private keys; only one is expected. Export just the server certificate with its key and retry.`, {
      count: reader.keys.length,
    });
  const keyEntry = reader.keys[0]!;
  const pkcs8 = keyEntry.pbe ? await keyEntry.pbe.decrypt(pw, keyEntry.data) : keyEntry.data;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw badInput(CODES.badKey, 'The private key in the file is damaged or of an unsupported type. Export the certificate and key again and retry.', {}, e);
  } finally {
    if (keyEntry.pbe) pkcs8.fill(0);
  }

  if (reader.certs.length === 0)
    throw badInput(CODES.noCertificate, 'The file holds a private key but no certificate. Export the certificate together with its private key and retry.');
  const keySpki = publicKeyDerOf(privateKey);
  const matching = reader.certs.filter((c, i) => {
    const spki = certificatePublicKeyDer(readPfxCertificate(c.der, `certificate number ${i + 1} in the file`));
    return !!spki && spki.equals(keySpki);
  });
  if (matching.length === 0) throw keyMismatch('None of the certificates in the file belongs to its private key.');
  const leaf =
    (keyEntry.localKeyId && matching.find((c) => c.localKeyId && c.localKeyId.equals(keyEntry.localKeyId!))) || matching[0]!;
  const chain: Buffer[] = [];
  for (const c of reader.certs) if (!c.der.equals(leaf.der) && !chain.some((d) => d.equals(c.der))) chain.push(c.der);

  const friendlyName = keyEntry.friendlyName ?? leaf.friendlyName;
  return {
    privateKey,
    certificate: leaf.der,
    chain,
    ...(friendlyName !== undefined ? { friendlyName } : {}),
    macAlgorithm: `HMAC-${mac.digest.label}/PKCS12-KDF/${mac.iterations}`,
    encryption: protection.flat(),
  };
}
