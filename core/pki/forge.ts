/**
 * node-forge, loaded with require() rather than import.
 *
 * forge is CommonJS. On Node 20 the first ES-module import of any CommonJS file waits for Node
 * to compile its CommonJS export scanner (cjs-module-lexer, WebAssembly compiled off the main
 * thread): ~50 ms of idle time at the start of every verify-backup, -r, -b and -g, measured
 * with --cpu-prof as "(idle)" before the first key derivation. require() needs no scanner.
 * (Node 24, Electron's runtime, does not wait; require() costs it nothing either.)
 *
 * Each part of forge registers itself on the one shared namespace that lib/forge.js exports,
 * so loading only the parts a caller needs gives the same object with fewer members.
 */
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

const requireCjs = createRequire(import.meta.url);

/** forge's ASN.1 codec and the util it needs (the PKCS#12 codec's parser and writer). */
export function forgeAsn1(): typeof Forge {
  requireCjs('node-forge/lib/asn1.js');
  return requireCjs('node-forge/lib/forge.js') as typeof Forge;
}

/** forge's RC2 cipher: only old (legacy) .pfx files need it. */
export function forgeRc2(): typeof Forge {
  requireCjs('node-forge/lib/rc2.js');
  return forgeAsn1();
}

/**
 * The whole of forge (its index loads every part, ~0.1 s): only certificate building needs it,
 * for its X.509 writer.
 */
export function forgeWhole(): typeof Forge {
  return requireCjs('node-forge') as typeof Forge;
}
