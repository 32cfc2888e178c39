// Types for verify-package.mjs.
export declare const PROJECT_DIR: string;
export declare const FORBIDDEN_APP_FILES: { pattern: RegExp; why: string }[];
export declare function listAsar(asarPath: string): string[];
export declare function asarHeaderHash(asarPath: string): string;
export declare function checkAppFiles(
  files: string[],
  pkg: { main: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> },
): string[];
export declare function manifestExecutionLevel(image: Uint8Array): string | null;
export declare function embeddedAsarIntegrity(image: Uint8Array): { file: string; alg: string; value: string }[] | null;
export declare function readFuses(exePath: string): Promise<Record<string, boolean | 'removed' | 'absent'>>;
export declare function verifyWindowsApp(
  appOutDir: string,
  options?: {
    phase?: 'afterPack' | 'final';
    productFilename?: string;
    projectDir?: string;
    expectedFuses?: Record<string, boolean>;
    requireSignature?: boolean;
  },
): Promise<string[]>;
