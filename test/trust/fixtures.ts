/**
 * Real keys and real self-signed certificates for the trust tests: the key from
 * helpers/test-keys.ts, the certificate from the openssl CLI (so the code under test never
 * verifies anything it built itself). Made once per test file, in a temp dir removed after.
 */
import { execFileSync } from 'node:child_process';
import { constants, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrustError, type Signer } from '../../core/trust/index.js';
import { testPrivateKey } from '../helpers/test-keys.js';

export interface Identity extends Signer {
  privateKey: KeyObject;
  certificate: Buffer;
  name: string;
}

export function makeIdentity(name: string, bits = 2048, key?: KeyObject): Identity {
  const dir = mkdtempSync(join(tmpdir(), 'cm-trust-'));
  try {
    const privateKey = key ?? testPrivateKey(bits);
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.der');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-days', '30', '-sha256', '-outform', 'DER', '-out', certFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return { name, privateKey, certificate: readFileSync(certFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Expects a promise (or a thunk) to be refused with a TrustError of the given reason. */
export async function refusal(run: Promise<unknown> | (() => unknown)): Promise<TrustError> {
  try {
    await (typeof run === 'function' ? run() : run);
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw new Error(`expected a TrustError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a refusal, but it was accepted');
}

export const T0 = new Date('2030-01-01T00:00:00Z');
export const at = (secondsAfterT0: number) => new Date(T0.getTime() + secondsAfterT0 * 1000);

/** Builds a compact JWS by hand (header and payload exactly as given), signed PS256 with Node's crypto unless told otherwise. */
export function craftCompact(
  header: unknown,
  payload: unknown,
  signWith: KeyObject | ((signingInput: Buffer) => Buffer | string),
): string {
  const enc = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))).toString('base64url');
  const input = `${enc(header)}.${enc(payload)}`;
  const sig =
    typeof signWith === 'function'
      ? signWith(Buffer.from(input))
      : sign('sha256', Buffer.from(input), { key: signWith, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  return `${input}.${typeof sig === 'string' ? sig : sig.toString('base64url')}`;
}

/** Decodes the middle part of a compact JWS (no verification). */
export const payloadOf = (jws: string): Record<string, unknown> => JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));
export const headerOf = (jws: string): Record<string, unknown> => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8'));

/** PS256 by Node's crypto, no key-size policy: lets tests sign with keys jose would refuse. */
export const pss = (key: KeyObject, data: Buffer | string) =>
  sign('sha256', Buffer.from(data), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64url');

/** Builds a rotation statement (JWS JSON General Serialization) by hand. */
export function craftStatement(payload: unknown, signatures: { key: KeyObject; header: Record<string, unknown> }[]): string {
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return JSON.stringify({
    payload: p,
    signatures: signatures.map(({ key, header }) => {
      const h = Buffer.from(JSON.stringify(header)).toString('base64url');
      return { protected: h, signature: pss(key, `${h}.${p}`) };
    }),
  });
}
