/**
 * Property: a valid compact JWS changed in any way is refused with a TrustError - never
 * accepted (unless the change was a no-op) and never a different exception.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustError, createRotationStatement, createTrustState, signMessage, verifyMessage, verifyRotationStep, type TrustState } from '../../core/trust/index.js';
import { T0, makeIdentity } from './fixtures.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

let original: string;
let other: string;
let trust: TrustState;

beforeAll(async () => {
  const srv = makeIdentity('srv');
  trust = createTrustState(srv.certificate);
  original = await signMessage(srv, { kind: 'settings', seq: 7, payload: { interval: 60, servers: ['a', 'b'] }, now: T0 });
  other = await signMessage(srv, { kind: 'settings', seq: 8, payload: { interval: 1, servers: ['evil'] }, now: T0 });
});

type Mutation =
  | { type: 'replace'; pos: number; ch: string }
  | { type: 'delete'; pos: number; len: number }
  | { type: 'insert'; pos: number; text: string }
  | { type: 'truncate'; len: number }
  | { type: 'flipDecoded'; part: number; pos: number; bit: number }
  | { type: 'swapParts'; a: number; b: number }
  | { type: 'graftPart'; part: number };

const part = fc.integer({ min: 0, max: 2 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ type: fc.constant('replace' as const), pos: fc.nat(), ch: fc.constantFrom(...ALPHABET, '.', '=', ' ', '+', '/', '\n', 'é', '\u0000', '\u{1F600}') }),
  fc.record({ type: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ type: fc.constant('insert' as const), pos: fc.nat(), text: fc.string({ minLength: 1, maxLength: 8 }) }),
  fc.record({ type: fc.constant('truncate' as const), len: fc.nat() }),
  fc.record({ type: fc.constant('flipDecoded' as const), part, pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ type: fc.constant('swapParts' as const), a: part, b: part }),
  fc.record({ type: fc.constant('graftPart' as const), part }),
);

function apply(jws: string, m: Mutation): string {
  const at = (pos: number) => (jws.length === 0 ? 0 : pos % (jws.length + 1));
  switch (m.type) {
    case 'replace': {
      const i = jws.length === 0 ? 0 : m.pos % jws.length;
      return jws.slice(0, i) + m.ch + jws.slice(i + 1);
    }
    case 'delete': {
      const i = at(m.pos);
      return jws.slice(0, i) + jws.slice(i + m.len);
    }
    case 'insert': {
      const i = at(m.pos);
      return jws.slice(0, i) + m.text + jws.slice(i);
    }
    case 'truncate':
      return jws.slice(0, at(m.len));
    case 'flipDecoded': {
      const parts = jws.split('.');
      const bytes = Buffer.from(parts[m.part] ?? '', 'base64url');
      if (bytes.length === 0) return jws;
      bytes[m.pos % bytes.length]! ^= 1 << m.bit;
      parts[m.part] = bytes.toString('base64url');
      return parts.join('.');
    }
    case 'swapParts': {
      const parts = jws.split('.');
      const a = parts[m.a];
      const b = parts[m.b];
      if (a === undefined || b === undefined) return jws;
      parts[m.a] = b;
      parts[m.b] = a;
      return parts.join('.');
    }
    case 'graftPart': {
      const parts = jws.split('.');
      const donor = other.split('.')[m.part];
      if (parts[m.part] === undefined || donor === undefined) return jws;
      parts[m.part] = donor;
      return parts.join('.');
    }
  }
}

async function outcome(input: string | Uint8Array): Promise<'accepted' | TrustError> {
  try {
    await verifyMessage(input, trust, { now: T0 });
    return 'accepted';
  } catch (e) {
    if (e instanceof TrustError) return e;
    throw e; // any other exception fails the property
  }
}

describe('mutated messages', () => {
  it('the unmutated message is accepted', async () => {
    expect(await outcome(original)).toBe('accepted');
  });

  it('every real mutation of a valid compact JWS is refused with a TrustError', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const mutated = mutations.reduce(apply, original);
        const result = await outcome(mutated);
        // Grafting every part from the other valid message rebuilds that message: not a forgery.
        if (mutated === original || mutated === other) return result === 'accepted';
        if (result instanceof TrustError) seen.add(result.reason);
        return result instanceof TrustError;
      }),
      { numRuns: 1500 },
    );
    // The mutations reach past the parser: signatures are actually checked.
    expect(seen).toContain('malformed');
    expect(seen).toContain('forged-signature');
  });

  it('the same holds for the message as bytes, with arbitrary byte edits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 255 }), async (pos, value) => {
        const bytes = Buffer.from(original, 'latin1');
        const i = pos % bytes.length;
        const noOp = bytes[i] === value;
        bytes[i] = value;
        const result = await outcome(bytes);
        return noOp ? result === 'accepted' : result instanceof TrustError;
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary text is refused with a TrustError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: fc.constantFrom(...ALPHABET, '.'), maxLength: 600 })), async (text) => {
        return (await outcome(text)) instanceof TrustError;
      }),
      { numRuns: 500 },
    );
  });
});

describe('mutated rotation statements', () => {
  let v1: ReturnType<typeof makeIdentity>;
  let statement: string;
  beforeAll(async () => {
    v1 = makeIdentity('v1');
    statement = await createRotationStatement(v1, makeIdentity('v2'), { version: 2, now: T0 });
  });

  it('are refused with a TrustError unless they still mean the same JSON document', async () => {
    const textEdit = fc.oneof(
      fc.record({ type: fc.constant('replace' as const), pos: fc.nat(), ch: fc.constantFrom(...ALPHABET, '"', '{', '}', ',', ':', ' ', '[', ']', '\\', '.') }),
      fc.record({ type: fc.constant('delete' as const), pos: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
      fc.record({ type: fc.constant('insert' as const), pos: fc.nat(), text: fc.string({ minLength: 1, maxLength: 8 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(textEdit, { minLength: 1, maxLength: 2 }), async (edits) => {
        const mutated = edits.reduce(apply, statement);
        try {
          await verifyRotationStep(mutated, v1.certificate, 1);
        } catch (e) {
          return e instanceof TrustError;
        }
        // Accepted: only if the edit was insignificant (e.g. whitespace between JSON tokens).
        expect(JSON.parse(mutated)).toEqual(JSON.parse(statement));
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
