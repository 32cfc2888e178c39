/**
 * The source of the WebAssembly module in sha256-iterate.ts: it writes that module from the
 * algorithm (FIPS 180-4 section 6.2.2), instruction by instruction. sha256-iterate.ts carries
 * the module's bytes, made by this function, so that a CLI process does not spend ~10 ms
 * running this generator (cold, in V8's interpreter) before every backup or restore check;
 * test/pki/pkcs12-kdf.test.ts checks that those bytes are exactly what this writes, and prints
 * the new bytes when they differ. Nothing imports this file at run time.
 *
 * The function hashes the state n times, 64 rounds unrolled, the eight working variables
 * renamed each round instead of shuffled, and the message schedule in a rolling window of
 * sixteen locals.
 */

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// WebAssembly opcodes used (WebAssembly core specification, section 5.4).
const OP = {
  block: 0x02, loop: 0x03, end: 0x0b, brIf: 0x0d, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, i32Load: 0x28, i32Store: 0x36, i32Const: 0x41,
  i32Eqz: 0x45, i32Add: 0x6a, i32Sub: 0x6b, i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32ShrU: 0x76, i32Rotr: 0x78,
} as const;
const I32 = 0x7f;

/** Appends v as a signed LEB128 (how i32.const carries its operand). */
function pushSleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Appends v as an unsigned LEB128 (section and body sizes). */
function pushUleb(out: number[], v: number): void {
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v ? b | 0x80 : b);
  } while (v);
}

/**
 * The module: one exported memory page ("m") whose first 32 bytes hold the state as eight i32
 * words, and `iterate(n)` (n >= 0), which hashes the state n times in place. Written as plain
 * pushes: this runs once per process, before V8 has optimized anything, so it stays cheap.
 */
export function sha256IterateModule(): Uint8Array {
  const code: number[] = [];
  // Local indexes are all below 128, so each is one byte.
  const get = (l: number) => code.push(OP.localGet, l);
  const set = (l: number) => code.push(OP.localSet, l);
  const constant = (v: number) => (code.push(OP.i32Const), pushSleb(code, v));
  const op = (o: number) => code.push(o);
  const rotr = (l: number, r: number) => code.push(OP.localGet, l, OP.i32Const, r, OP.i32Rotr); // r < 64: one byte
  // Locals: 0 = n (the parameter); 1..8 = the state h0..h7; 9..16 = a..h; 17..32 = w0..w15; 33 = T1.
  const N = 0, H = 1, V = 9, W = 17, T1 = 33;

  for (let i = 0; i < 8; i++) code.push(OP.i32Const, 0, OP.i32Load, 2, i * 4, OP.localSet, H + i);
  code.push(OP.block, OP.void, OP.localGet, N, OP.i32Eqz, OP.brIf, 0, OP.loop, OP.void);
  for (let i = 0; i < 8; i++) {
    constant(IV[i]!);
    set(V + i);
    code.push(OP.localGet, H + i, OP.localSet, W + i);
  }
  constant(0x80000000);
  set(W + 8);
  for (let i = 9; i < 15; i++) code.push(OP.i32Const, 0, OP.localSet, W + i);
  constant(256);
  set(W + 15);
  // Round t works on the variables named a..h; renaming instead of moving them means each round
  // writes only d and h, and the names rotate by one.
  for (let t = 0; t < 64; t++) {
    const name = (i: number) => V + ((i - t + 64) % 8);
    const [a, b, c, d, e, f, g, h] = [name(0), name(1), name(2), name(3), name(4), name(5), name(6), name(7)];
    const w = W + (t % 16);
    if (t >= 16) {
      // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], into the slot of W[t-16].
      const w2 = W + ((t - 2) % 16), w7 = W + ((t - 7) % 16), w15 = W + ((t - 15) % 16);
      rotr(w2, 17); rotr(w2, 19); op(OP.i32Xor); get(w2); constant(10); op(OP.i32ShrU); op(OP.i32Xor);
      get(w7); op(OP.i32Add);
      rotr(w15, 7); rotr(w15, 18); op(OP.i32Xor); get(w15); constant(3); op(OP.i32ShrU); op(OP.i32Xor); op(OP.i32Add);
      get(w); op(OP.i32Add); set(w);
    }
    // T1 = h + Σ1(e) + Ch(e, f, g) + K[t] + W[t], with Ch(e, f, g) = g ^ (e & (f ^ g))
    get(h); rotr(e, 6); rotr(e, 11); op(OP.i32Xor); rotr(e, 25); op(OP.i32Xor); op(OP.i32Add);
    get(g); get(e); get(f); get(g); op(OP.i32Xor); op(OP.i32And); op(OP.i32Xor); op(OP.i32Add);
    constant(K[t]!); op(OP.i32Add); get(w); op(OP.i32Add); set(T1);
    // d += T1
    get(d); get(T1); op(OP.i32Add); set(d);
    // h = T1 + Σ0(a) + Maj(a, b, c), with Maj(a, b, c) = (a & b) | (c & (a | b))
    get(T1); rotr(a, 2); rotr(a, 13); op(OP.i32Xor); rotr(a, 22); op(OP.i32Xor); op(OP.i32Add);
    get(a); get(b); op(OP.i32And); get(c); get(a); get(b); op(OP.i32Or); op(OP.i32And); op(OP.i32Or); op(OP.i32Add); set(h);
  }
  // 64 renames bring the names back to a..h. The new state is IV + working variables.
  for (let i = 0; i < 8; i++) {
    constant(IV[i]!);
    code.push(OP.localGet, V + i, OP.i32Add, OP.localSet, H + i);
  }
  // n -= 1; loop again while n != 0.
  code.push(OP.localGet, N, OP.i32Const, 1, OP.i32Sub, OP.localTee, N, OP.brIf, 0, OP.end, OP.end);
  for (let i = 0; i < 8; i++) code.push(OP.i32Const, 0, OP.localGet, H + i, OP.i32Store, 2, i * 4);
  code.push(OP.end);

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]; // "\0asm", version 1
  const section = (id: number, bytes: number[]) => {
    out.push(id);
    pushUleb(out, bytes.length);
    for (const x of bytes) out.push(x);
  };
  section(1, [1, 0x60, 1, I32, 0]); // type 0: (i32) -> ()
  section(3, [1, 0]); // function 0 has type 0
  section(5, [1, 0, 1]); // one memory, at least one page
  section(7, [2, 7, 0x69, 0x74, 0x65, 0x72, 0x61, 0x74, 0x65, 0, 0, 1, 0x6d, 2, 0]); // exports "iterate" (function 0), "m" (memory 0)
  const body = [1, T1, I32]; // one group of 33 i32 locals besides the parameter
  for (const x of code) body.push(x);
  const sizedBody: number[] = [];
  pushUleb(sizedBody, body.length);
  for (const x of body) sizedBody.push(x);
  section(10, [1, ...sizedBody]);
  return new Uint8Array(out);
}
