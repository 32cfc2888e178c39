// The Electron fuses of the packaged executable (docs/security.md, item 19). electron-builder
// flips them before signing (electron-builder.config.mjs: electronFuses); verify-package.mjs reads
// them back from the built executable and compares with this list.
export const electronFuses = Object.freeze({
  runAsNode: false, // ELECTRON_RUN_AS_NODE would turn the elevated, signed exe into a plain Node
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false, // NODE_OPTIONS=--require could inject code into main
  enableNodeCliInspectArguments: false, // --inspect would open a debugger on the elevated process
  enableEmbeddedAsarIntegrityValidation: true, // app.asar must match the hash embedded in the exe
  onlyLoadAppFromAsar: true, // never load a loose app/ folder or package.json instead
  loadBrowserProcessSpecificV8Snapshot: false,
  grantFileProtocolExtraPrivileges: false, // the renderer is served from app://, not file://
});
