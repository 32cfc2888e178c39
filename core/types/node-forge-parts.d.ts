// node-forge's index loads every part of forge (TLS, RSA, PKCS#7, ...: ~0.1 s at each start);
// the PKCS#12 codec needs only its ASN.1 codec and, for legacy files, RC2. Each part registers
// itself on the one shared forge namespace that lib/forge.js exports: same types as the whole.
declare module 'node-forge/lib/forge.js' {
  import forge from 'node-forge';
  export default forge;
}
declare module 'node-forge/lib/asn1.js';
declare module 'node-forge/lib/rc2.js';
