// Types for fuses.mjs.
export declare const electronFuses: Readonly<{
  runAsNode: false;
  enableCookieEncryption: true;
  enableNodeOptionsEnvironmentVariable: false;
  enableNodeCliInspectArguments: false;
  enableEmbeddedAsarIntegrityValidation: true;
  onlyLoadAppFromAsar: true;
  loadBrowserProcessSpecificV8Snapshot: false;
  grantFileProtocolExtraPrivileges: false;
}>;
