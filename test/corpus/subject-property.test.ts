/**
 * The corpus's round trip over generated subjects (issue #10): any subject a CA may write
 * (empty with a critical subjectAltName, many RDNs, far past 256 characters, any Unicode, and
 * self-signed or CA-issued with its chain) goes restore -> status -> backup -> verify-backup ->
 * restore on a fresh store, and comes back as the same certificate, key and chain.
 *
 * Certificates are laid out by node-forge and signed with a few RSA-2048 keys made once, so a
 * run costs milliseconds of key work; the .pfx is written with our encoder at a low count.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import { backupCertificate, getStatus, verifyBackup, restoreCertificate } from '../../core/ops/index.js';
import { fingerprintSha256 } from '../../core/pki/inspect.js';
import { encodePkcs12 } from '../../core/pki/pkcs12/index.js';
import { loadPrivateKey, readStore } from '../../core/store/store.js';
import { tempDir } from '../helpers/temp.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const ITERATIONS = 1000;
const PFX_PASSWORD = 'property pfx password';
const BACKUP_PASSWORD = 'property backup password';
const DAY_MS = 24 * 60 * 60 * 1000;

type Attr = { shortName: string; value: string };
interface Signer {
  key: KeyObject;
  forgeKey: forge.pki.rsa.PrivateKey;
  forgePublic: forge.pki.rsa.PublicKey;
}

const signer = (key: KeyObject): Signer => ({
  key,
  forgeKey: forge.pki.privateKeyFromPem(key.export({ type: 'pkcs8', format: 'pem' }) as string) as forge.pki.rsa.PrivateKey,
  forgePublic: forge.pki.publicKeyFromPem(createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string) as forge.pki.rsa.PublicKey,
});

/** Attributes as UTF8String, as CAs write them today (forge wants the UTF-8 bytes as a binary string). */
const forgeAttrs = (attrs: Attr[]) =>
  attrs.map(({ shortName, value }) =>
    shortName === 'C' ? { shortName, value } : { shortName, value: forge.util.encodeUtf8(value), valueTagClass: forge.asn1.Type.UTF8 as unknown as undefined },
  );

function makeCertificate(subject: Attr[], subjectKey: Signer, issuer: { attrs: Attr[]; signer: Signer } | null, ca = false): Buffer {
  const cert = forge.pki.createCertificate();
  cert.publicKey = subjectKey.forgePublic;
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(15));
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  cert.setSubject(forgeAttrs(subject));
  cert.setIssuer(forgeAttrs(issuer ? issuer.attrs : subject));
  cert.setExtensions(
    ca
      ? [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]
      : [
          // RFC 5280 4.2.1.6: with an empty subject the subjectAltName must be critical.
          { name: 'subjectAltName', altNames: [{ type: 2, value: 'cm.example.co.jp' }], critical: subject.length === 0 },
          { name: 'extKeyUsage', serverAuth: true },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        ],
  );
  cert.sign((issuer ? issuer.signer : subjectKey).forgeKey, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

const text = (max: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }),
    fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: max }),
    fc.constantFrom('株式会社サンプル', '情報システム部', '管理サーバー.example.co.jp', 'Zürich Größe', 'Ελληνικά'),
  );
const attr: fc.Arbitrary<Attr> = fc.oneof(
  fc.record({ shortName: fc.constant('C'), value: fc.constantFrom('JP', 'US', 'DE') }),
  fc.record({ shortName: fc.constantFrom('ST', 'L', 'O', 'OU', 'CN'), value: text(64) }),
);

let root: string;
let leafKeys: Signer[];
let caAttrs: Attr[];
let caSigner: Signer;
let caDer: Buffer;

beforeAll(async () => {
  root = await tempDir('cm-subject-property-');
  const rsa = () => testPrivateKey();
  leafKeys = [signer(rsa()), signer(rsa())];
  caSigner = signer(rsa());
  caAttrs = [{ shortName: 'C', value: 'JP' }, { shortName: 'O', value: 'Example Corp' }, { shortName: 'CN', value: 'Example Corp Issuing CA' }];
  caDer = makeCertificate(caAttrs, caSigner, null, true);
}, 60_000);

const spki = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' });

describe('generated subjects round-trip', () => {
  it('restore, status, backup, verify-backup, restore on a fresh store: same certificate, key and chain', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(attr, { maxLength: 10 }), fc.nat({ max: 1 }), fc.boolean(), async (subject, keyIndex, caIssued) => {
        const dir = join(root, `run-${run++}`);
        const key = leafKeys[keyIndex]!;
        const leaf = makeCertificate(subject, key, caIssued ? { attrs: caAttrs, signer: caSigner } : null);
        const chain = caIssued ? [caDer] : [];
        const pfx = join(root, `run-${run}.pfx`);
        await writeFile(pfx, await encodePkcs12({ privateKey: key.key, certificate: leaf, chain }, PFX_PASSWORD, { iterations: ITERATIONS, macIterations: ITERATIONS }));

        const first = { dataDir: join(dir, 'store'), iterations: ITERATIONS };
        const fresh = { dataDir: join(dir, 'fresh'), iterations: ITERATIONS };
        const zip = join(dir, 'backup.zip');
        await restoreCertificate(first, { path: pfx, password: PFX_PASSWORD, exportable: true });
        const status = await getStatus(first.dataDir);
        expect(status.current!.fingerprintSha256).toBe(fingerprintSha256(leaf));
        await backupCertificate(first, { password: BACKUP_PASSWORD, outPath: zip });
        expect((await verifyBackup(first, { path: zip, password: BACKUP_PASSWORD })).certificate.fingerprintSha256).toBe(fingerprintSha256(leaf));
        await restoreCertificate(fresh, { path: zip, password: BACKUP_PASSWORD, exportable: true });

        const restored = (await readStore(fresh.dataDir))!;
        expect(Buffer.from(restored.state.current.certificateDer, 'base64').equals(leaf)).toBe(true);
        expect(spki(await loadPrivateKey(restored)).equals(spki(key.key))).toBe(true);
        expect((restored.state.current.chainDer ?? []).map((b) => Buffer.from(b, 'base64').toString('hex'))).toEqual(chain.map((d) => d.toString('hex')));
        expect((await getStatus(fresh.dataDir)).current!.subject).toBe(status.current!.subject);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
