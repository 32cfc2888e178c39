/**
 * Certificates as admins really have them, made by the real OpenSSL CLI (issue #10): CA-issued
 * leaves with one- and two-level chains, an empty subject with a critical subjectAltName, a DN
 * longer than 256 characters, non-ASCII names, RSA-2048/3072/4096, both EKUs, and .pfx files in
 * the modern profile and the Windows-style 3DES/SHA-1 one.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export const PFX_PASSWORD = 'corpus password 1';

export interface CorpusEntry {
  name: string;
  pfx: string;
  keyPem: string;
  leafDer: Buffer;
  /** The CA certificates that came in the .pfx (issuer first). */
  chainDer: Buffer[];
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CORPUS_PW: PFX_PASSWORD } });
}

function der(pemFile: string): Buffer {
  return new X509Certificate(readFileSync(pemFile)).raw;
}

interface LeafSpec {
  name: string;
  subject: string;
  bits?: number;
  eku?: string;
  san?: string;
  issuer?: 'root' | 'intermediate';
  pfx?: 'modern' | 'windows-3des';
}

/** Builds every entry in `dir`. Costs a few seconds (RSA-4096 and the CA keys). */
export function buildCorpus(dir: string, leaves: LeafSpec[] = DEFAULT_LEAVES): CorpusEntry[] {
  // Corporate CA: a root and an intermediate under it.
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/C=JP/O=Example Corp/CN=Example Corp Root CA', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n');
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/C=JP/O=Example Corp/CN=Example Corp Issuing CA 1']);
  openssl(dir, ['x509', '-req', '-in', 'int.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-days', '1825', '-out', 'int.pem', '-extfile', 'ca.ext']);

  return leaves.map((leaf) => {
    const base = leaf.name;
    const bits = leaf.bits ?? 2048;
    const ext = [`subjectAltName=${leaf.san ?? 'DNS:cm.example.co.jp'}`, `extendedKeyUsage=${leaf.eku ?? 'serverAuth'}`, 'keyUsage=critical,digitalSignature,keyEncipherment'];
    writeFileSync(join(dir, `${base}.ext`), ext.join('\n') + '\n');
    let chain: string[] = [];
    if (!leaf.issuer) {
      openssl(dir, ['req', '-x509', '-utf8', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.pem`, '-subj', leaf.subject, '-days', '365', ...ext.flatMap((e) => ['-addext', e])]);
    } else {
      const [caCert, caKey] = leaf.issuer === 'root' ? ['root.pem', 'root.key'] : ['int.pem', 'int.key'];
      openssl(dir, ['req', '-new', '-utf8', '-newkey', `rsa:${bits}`, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', leaf.subject]);
      openssl(dir, ['x509', '-req', '-in', `${base}.csr`, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-days', '365', '-out', `${base}.pem`, '-extfile', `${base}.ext`]);
      chain = leaf.issuer === 'root' ? ['root.pem'] : ['int.pem', 'root.pem'];
      writeFileSync(join(dir, `${base}.chain.pem`), chain.map((f) => readFileSync(join(dir, f), 'utf8')).join(''));
    }
    const profile = leaf.pfx === 'windows-3des' ? ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'] : [];
    openssl(dir, ['pkcs12', '-export', '-inkey', `${base}.key`, '-in', `${base}.pem`, ...(chain.length ? ['-certfile', `${base}.chain.pem`] : []), '-name', `${base}`,
      '-out', `${base}.pfx`, '-passout', 'env:CORPUS_PW', '-iter', '2048', ...profile]);
    return { name: leaf.name, pfx: join(dir, `${base}.pfx`), keyPem: readFileSync(join(dir, `${base}.key`), 'utf8'), leafDer: der(join(dir, `${base}.pem`)), chainDer: chain.map((f) => der(join(dir, f))) };
  });
}

const LONG_DN =
  '/C=JP/ST=Tokyo/L=Chiyoda-ku/O=Example Corporation Holdings Kabushiki Kaisha/OU=Information Systems Division/OU=Infrastructure Operations Department' +
  '/OU=Endpoint Management Platform Team/OU=Production Servers Tokyo Region/CN=endpoint-mgmt-primary-01.prod.tokyo.example.co.jp';

export const DEFAULT_LEAVES: LeafSpec[] = [
  { name: 'empty-subject', subject: '/', san: 'critical,DNS:cm.example.co.jp' },
  { name: 'ca-one-level', subject: '/C=JP/O=Example Corp/CN=cm.example.co.jp', issuer: 'root', bits: 3072 },
  { name: 'ca-two-level', subject: '/C=JP/O=Example Corp/OU=IT/CN=cm.example.co.jp', issuer: 'intermediate' },
  { name: 'long-dn', subject: LONG_DN },
  { name: 'non-ascii', subject: '/C=JP/O=株式会社サンプル/OU=情報システム部/CN=管理サーバー.example.co.jp' },
  { name: 'rsa-4096', subject: '/CN=cm4096.example.co.jp', bits: 4096 },
  { name: 'both-ekus', subject: '/CN=cm.example.co.jp', eku: 'serverAuth,clientAuth' },
  { name: 'windows-3des-chain', subject: '/C=JP/O=Example Corp/CN=cm-win.example.co.jp', issuer: 'intermediate', pfx: 'windows-3des' },
];
export { LONG_DN };
