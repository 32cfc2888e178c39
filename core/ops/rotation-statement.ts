/**
 * The place where a change of key becomes something agents can follow: a rotation statement
 * signed by the old key and the new key (see core/trust/rotation.ts and docs/protocol.md).
 * Renew and restore call this whenever the current certificate is replaced by another one.
 */
import type { KeyObject } from 'node:crypto';
import { createRotationStatement } from '../trust/index.js';

interface SigningIdentity {
  privateKey: KeyObject;
  certificateDer: Buffer;
  version: number;
}

export async function rotationStatementFor(previous: SigningIdentity, next: SigningIdentity, now: Date): Promise<string> {
  return createRotationStatement(
    { privateKey: previous.privateKey, certificate: previous.certificateDer },
    { privateKey: next.privateKey, certificate: next.certificateDer },
    { version: next.version, now },
  );
}
