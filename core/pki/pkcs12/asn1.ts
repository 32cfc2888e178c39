/**
 * A thin, typed layer over node-forge's ASN.1 codec (forge.asn1 is the only part of forge used
 * for parsing and building). Readers check the shape of every node they touch and throw
 * malformed() instead of forge's own exceptions, so callers never see a raw parser error. Values
 * cross the boundary as Buffers; forge's "binary strings" stay inside this file.
 *
 * Parsing accepts BER as well as DER where PKCS#12 producers need it: indefinite lengths and
 * constructed (chunked) OCTET STRINGs, which Windows and Java write.
 */
import type Forge from 'node-forge';
import { forgeAsn1 } from '../forge.js';
import { malformed } from './failures.js';

// Only forge's ASN.1 codec (and the util it needs), not the whole of forge: every -b and
// verify-backup loads this file at start-up.
const forge = forgeAsn1();
const { asn1 } = forge;
type Asn1 = Forge.asn1.Asn1;
export type Node = Asn1;

const UNIVERSAL = asn1.Class.UNIVERSAL;
const CONTEXT = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

/** Deep enough for any PKCS#12 structure (each nested blob is parsed on its own). */
const MAX_DEPTH = 24;
/** How deep constructed OCTET STRING chunks may nest (BER allows nesting; nobody needs much). */
const MAX_OCTET_NESTING = 4;

const bin = (b: Buffer): string => b.toString('latin1');
const buf = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Parses one complete BER/DER value; trailing bytes are an error. */
export function parse(data: Buffer, where: string): Node {
  try {
    // forge's typings only know the boolean form of the options argument.
    const fromDer = asn1.fromDer as unknown as (bytes: Forge.util.ByteBuffer, options: object) => Asn1;
    const node = fromDer(forge.util.createBuffer(bin(data)), { strict: true, parseAllBytes: true, decodeBitStrings: false, maxDepth: MAX_DEPTH });
    if (!node || typeof node !== 'object') throw new Error('no value');
    return node;
  } catch (e) {
    throw malformed(where, e);
  }
}

const children = (n: Node): Node[] | undefined => (Array.isArray(n.value) ? n.value : undefined);

/** The elements of a SEQUENCE, checking their count is within [min, max]. */
export function sequence(n: Node | undefined, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): Node[] {
  return constructedOf(n, T.SEQUENCE, where, min, max);
}

/** The elements of a SET. */
export function set(n: Node | undefined, where: string, min = 0, max = Number.MAX_SAFE_INTEGER): Node[] {
  return constructedOf(n, T.SET, where, min, max);
}

function constructedOf(n: Node | undefined, type: number, where: string, min: number, max: number): Node[] {
  if (!n || n.tagClass !== UNIVERSAL || n.type !== type || !n.constructed) throw malformed(where);
  const c = children(n);
  if (!c || c.length < min || c.length > max) throw malformed(where);
  return c;
}

export function oid(n: Node | undefined, where: string): string {
  if (!n || n.tagClass !== UNIVERSAL || n.type !== T.OID || n.constructed || typeof n.value !== 'string' || n.value.length === 0)
    throw malformed(where);
  // The last byte of an OID never has its continuation bit set.
  if ((n.value.charCodeAt(n.value.length - 1) & 0x80) !== 0) throw malformed(where);
  try {
    return asn1.derToOid(n.value);
  } catch (e) {
    throw malformed(where, e);
  }
}

/** An OCTET STRING's content, joining BER chunks if it is constructed. */
export function octets(n: Node | undefined, where: string): Buffer {
  if (!n || n.tagClass !== UNIVERSAL || n.type !== T.OCTETSTRING) throw malformed(where);
  return octetContent(n, where, 0);
}

/** Content of an [tag] IMPLICIT OCTET STRING (primitive or constructed from OCTET STRING chunks). */
export function implicitOctets(n: Node | undefined, tag: number, where: string): Buffer {
  if (!n || n.tagClass !== CONTEXT || n.type !== tag) throw malformed(where);
  return octetContent(n, where, 0);
}

function octetContent(n: Node, where: string, depth: number): Buffer {
  if (!n.constructed) {
    if (typeof n.value !== 'string') throw malformed(where);
    return buf(n.value);
  }
  const c = children(n);
  if (!c || depth >= MAX_OCTET_NESTING) throw malformed(where);
  return Buffer.concat(
    c.map((chunk) => {
      if (chunk.tagClass !== UNIVERSAL || chunk.type !== T.OCTETSTRING) throw malformed(where);
      return octetContent(chunk, where, depth + 1);
    }),
  );
}

/**
 * A non-negative INTEGER as a number. Values too large to be sensible come back as
 * Number.MAX_SAFE_INTEGER (callers compare against their limits); negative values as -1.
 */
export function integer(n: Node | undefined, where: string): number {
  if (!n || n.tagClass !== UNIVERSAL || n.type !== T.INTEGER || n.constructed || typeof n.value !== 'string' || n.value.length === 0)
    throw malformed(where);
  const v = n.value;
  if (v.charCodeAt(0) & 0x80) return -1;
  let i = 0;
  while (i < v.length - 1 && v.charCodeAt(i) === 0) i++;
  if (v.length - i > 6) return Number.MAX_SAFE_INTEGER;
  let x = 0;
  for (; i < v.length; i++) x = x * 256 + v.charCodeAt(i);
  return x;
}

/** The single value inside an [tag] EXPLICIT wrapper. */
export function explicit(n: Node | undefined, tag: number, where: string): Node {
  if (!n || n.tagClass !== CONTEXT || n.type !== tag || !n.constructed) throw malformed(where);
  const c = children(n);
  if (!c || c.length !== 1 || !c[0]) throw malformed(where);
  return c[0];
}

/** True if the node is an ASN.1 NULL (or absent), as in AlgorithmIdentifier parameters. */
export function isNullOrAbsent(n: Node | undefined): boolean {
  return n === undefined || (n.tagClass === UNIVERSAL && n.type === T.NULL && !n.constructed && n.value === '');
}

export function bmpString(n: Node | undefined, where: string): string {
  if (!n || n.tagClass !== UNIVERSAL || n.type !== T.BMPSTRING || n.constructed || typeof n.value !== 'string') throw malformed(where);
  // forge has already turned the UTF-16BE code units into a JS string.
  return n.value;
}

export function isOctetString(n: Node | undefined): boolean {
  return !!n && n.tagClass === UNIVERSAL && n.type === T.OCTETSTRING;
}

export function isInteger(n: Node | undefined): boolean {
  return !!n && n.tagClass === UNIVERSAL && n.type === T.INTEGER;
}

// ---------------------------------------------------------------------------------------------
// Builders (DER).

export const mkSequence = (...items: Node[]): Node => asn1.create(UNIVERSAL, T.SEQUENCE, true, items);
export const mkOid = (dotted: string): Node => asn1.create(UNIVERSAL, T.OID, false, asn1.oidToDer(dotted).getBytes());
export const mkOctets = (b: Buffer): Node => asn1.create(UNIVERSAL, T.OCTETSTRING, false, bin(b));
export const mkNull = (): Node => asn1.create(UNIVERSAL, T.NULL, false, '');
export const mkExplicit = (tag: number, inner: Node): Node => asn1.create(CONTEXT, tag, true, [inner]);
export const mkImplicitOctets = (tag: number, b: Buffer): Node => asn1.create(CONTEXT, tag, false, bin(b));

/** A non-negative integer, minimally encoded. */
export function mkInteger(x: number): Node {
  if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`mkInteger: ${x}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(x % 256);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return asn1.create(UNIVERSAL, T.INTEGER, false, String.fromCharCode(...bytes));
}

/** BMPString: forge writes each UTF-16 code unit big-endian (surrogate pairs stay pairs). */
export const mkBmpString = (s: string): Node => asn1.create(UNIVERSAL, T.BMPSTRING, false, s);

/** A DER SET OF: elements sorted by their encodings, as X.690 requires. */
export function mkSetOf(items: Node[]): Node {
  const encoded = items.map((item) => ({ item, der: toDer(item) }));
  encoded.sort((x, y) => {
    const len = Math.max(x.der.length, y.der.length);
    for (let i = 0; i < len; i++) {
      const d = (x.der[i] ?? 0) - (y.der[i] ?? 0);
      if (d !== 0) return d;
    }
    return 0;
  });
  return asn1.create(UNIVERSAL, T.SET, true, encoded.map((e) => e.item));
}

export function toDer(n: Node): Buffer {
  return buf(asn1.toDer(n).getBytes());
}
